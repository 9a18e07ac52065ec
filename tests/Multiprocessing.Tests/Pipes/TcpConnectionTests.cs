using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Multiprocessing.Tests.Pipes;

/// <summary>The contract over TCP on the loopback, without a key.</summary>
public sealed class TcpConnectionTests : ConnectionContractTests
{
    protected override (Connection<T> A, Connection<T> B) Connect<T>() =>
        SocketPairs.Connect<T>(new IPEndPoint(IPAddress.Loopback, 0), null);
}
