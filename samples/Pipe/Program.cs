// The seed's pipe program, Python's
//
//     def f(conn):
//         conn.send([42, None, 'hello'])
//         conn.close()
//
//     if __name__ == '__main__':
//         parent_conn, child_conn = Pipe()
//         p = Process(target=f, args=(child_conn,))
//         p.start()
//         print(parent_conn.recv())   # prints "[42, None, 'hello']"
//         p.join()
//
// in C#. Run it with: dotnet run -c Release --project samples/Pipe
using Multiprocessing;

var (parentConn, childConn) = Pipe.Create<object?[]>();
using WorkerProcess p = WorkerProcess.Start(static (Connection<object?[]> conn) =>
{
    conn.Send([42, null, "hello"]);
    conn.Close();
}, childConn);

// The child's end now belongs to the worker; close this process's copy, as Python programs do.
childConn.Close();
object?[] message = parentConn.Receive();
Console.WriteLine("[" + string.Join(", ", message.Select(x => x switch
{
    null => "None",
    string s => $"'{s}'",
    _ => Convert.ToString(x, System.Globalization.CultureInfo.InvariantCulture),
})) + "]");
p.Join();
parentConn.Close();
return p.ExitCode ?? 1;
