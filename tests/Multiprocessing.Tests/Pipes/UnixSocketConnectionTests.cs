using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Multiprocessing.Tests.Pipes;

/// <summary>The contract over a Unix domain socket with authentication.</summary>
public sealed class UnixSocketConnectionTests : ConnectionContractTests
{
    protected override (Connection<T> A, Connection<T> B) Connect<T>() =>
        SocketPairs.Connect<T>(SocketPairs.NewUnixEndPoint(), new ConnectionOptions { AuthKey = "secret key"u8.ToArray() });
}
