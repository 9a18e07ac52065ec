#!/usr/bin/env python3
"""CPython counterpart of `multiprocessing bench` (stdlib only).

The CPython side of `multiprocessing bench --vs-python`. It follows
../shared/bench/python/mp_bench.py (same case names, counts, sizes, what is
timed, and JSON field names) and adds counterparts for the cases the .NET
library has and mp_bench.py does not: event_pingpong, pool_submit,
pool_start, pipe_pingpong_contended, pipe_pingpong_one_cpu, socket_pingpong,
and process_start_forkserver beside process_start_fork/_spawn.

    python3 benchmarks/python/mp_counterpart.py [--list] [--wait-quiet] [--exact] [name-prefix...]

Prints one JSON object per result on stdout. A prefix selects a case when the
case's name or one of its result names starts with it; with --exact the name
must be equal (the .NET harness uses --exact so that "pipe_pingpong" does not
also run pipe_pingpong_contended). `--summarize FILE.jsonl` works as in mp_bench.py.

Timing: time.perf_counter_ns() is clock_gettime(CLOCK_MONOTONIC) on Linux, a
system-wide clock, so timestamps taken in different processes are comparable.
Children are started and synchronised (Barrier or a ready message) before the
clock starts, so process start-up is excluded except in process_start* and pool_start.
"""
import json
import multiprocessing.connection as mpc
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time

CTX = mp.get_context()          # default start method ('fork' on Linux, py<3.14)
METHOD = CTX.get_start_method()
NPROC = os.cpu_count() or 1
now = time.perf_counter_ns
TIMEOUT = 120                   # seconds; a hung case fails instead of hanging the suite

SMALL_N = 200_000               # small-int messages per queue/pipe case
KIB = 1024
MIB = 1024 * KIB


def cpu_sample():
    """(machine-wide busy CPU seconds, CPU seconds of this process and its children).
    Their difference over an interval is CPU burnt by *other* processes: the flock only
    serialises cooperating benchmarks, not e.g. someone's compiler. Linux only."""
    tck = os.sysconf("SC_CLK_TCK")
    try:
        with open("/proc/stat") as f:
            user, nice, system, idle, iowait, irq, softirq = map(int, f.readline().split()[1:8])
    except (OSError, ValueError):
        return None
    t = os.times()               # self + reaped children
    own = t.user + t.system + t.children_user + t.children_system
    me = str(os.getpid())        # + live children (e.g. spawn's resource tracker)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:      # ppid; utime, stime follow at [11], [12]
            own += (int(fields[11]) + int(fields[12])) / tck
    return (user + nice + system + irq + softirq) / tck, own


_mark = None                     # cpu_sample() at the start of the current measurement
DISTURBED = 0.05                 # foreign CPU seconds above which a case counts as disturbed


def wait_quiet(limit_s=300):
    """Block until the machine is idle (< DISTURBED CPU-s used in a 1 s window)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        a = cpu_sample()
        time.sleep(1.0)
        b = cpu_sample()
        if a is None or b[0] - a[0] < DISTURBED:
            return
    print(f"wait_quiet: still busy after {limit_s}s, running anyway", file=sys.stderr)


def emit(name, params, count_key, count, seconds, rate_unit, **extra):
    """Print one result line: name, params, messages|ops, seconds, rate (+extras).
    foreign_cpu_s: CPU used by other processes since the case (or previous line)
    began, ~10 ms granularity; more than a few hundredths means the run was disturbed."""
    global _mark
    rec = {"name": name, "params": params, count_key: count,
           "seconds": round(seconds, 6), "rate_per_s": round(count / seconds, 1),
           "rate_unit": rate_unit}
    rec.update(extra)
    cur = cpu_sample()
    if cur and _mark:
        rec["foreign_cpu_s"] = round(max(0.0, (cur[0] - _mark[0]) - (cur[1] - _mark[1])), 2)
    print(json.dumps(rec), flush=True)   # flush: forked children must not re-flush our buffer
    _mark = cpu_sample()


def start(procs):
    for p in procs:
        p.start()
    return procs


def reap(procs, timeout=TIMEOUT):
    """Join children; kill stragglers and fail loudly if any misbehaved."""
    for p in procs:
        p.join(timeout)
    bad = [p for p in procs if p.is_alive() or p.exitcode != 0]
    for p in bad:
        if p.is_alive():
            p.kill()
            p.join()
    if bad:
        raise RuntimeError(f"child failure: {[(p.name, p.exitcode) for p in bad]}")


# --------------------------------------------------------------------------
# Child-process targets (module level so 'spawn' could pickle them too).
# --------------------------------------------------------------------------

def q_producer(q, n, payload, barrier, results):
    """Put n items (the index i, or `payload`) then one None sentinel."""
    put = q.put
    barrier.wait()
    t0 = now()
    if payload is None:
        for i in range(n):
            put(i)
    else:
        for _ in range(n):
            put(payload)
    put(None)
    results.put(("p", t0, n))
    # Queue.put only hands off to a feeder thread; process exit waits for it to flush.


def q_consumer(q, barrier, results):
    """Get until the first None; report the receive-complete time and the count."""
    get = q.get
    count = 0
    barrier.wait()
    while get() is not None:
        count += 1
    results.put(("c", now(), count))


def jq_worker(tasks, done_counts):
    """The seed pattern: get, work, task_done; a None pill ends the worker."""
    count = 0
    while True:
        t = tasks.get()
        if t is None:
            tasks.task_done()
            break
        _ = t * t                   # trivial "work"
        count += 1
        tasks.task_done()
    done_counts.put(count)


def pipe_echo(conn):
    recv, send = conn.recv, conn.send
    while True:
        x = recv()
        if x is None:
            break
        send(x)


def pipe_sink(conn, n, raw, results):
    """Receive n objects (recv) or n byte messages (recv_bytes); report end time."""
    results.put("ready")
    recv = conn.recv_bytes if raw else conn.recv
    nbytes = 0
    for _ in range(n):
        x = recv()
        if raw:
            nbytes += len(x)
    results.put((now(), nbytes))


def value_incr(v, n, barrier, results):
    barrier.wait()
    t0 = now()
    for _ in range(n):
        with v.get_lock():
            v.value += 1
    results.put((t0, now()))


def array_writer(a, n, results):
    t0 = now()
    for i in range(n):
        a[i] = i                    # ctypes converts int -> double
    results.put((t0, now()))


def event_echo(ping, pong, n):
    """Hand the turn back: wait for ping, clear it, set pong; n + warm-up times."""
    for _ in range(n):
        if not ping.wait(TIMEOUT):
            raise RuntimeError("event_echo: no ping")
        ping.clear()
        pong.set()


def socket_echo(address, authkey):
    with mpc.Client(address, family="AF_UNIX", authkey=authkey) as conn:
        pipe_echo(conn)


def busy_loop():
    """A CPU hog at the lowest priority (pipe_pingpong_contended)."""
    os.nice(19)
    while True:
        pass


def noop():
    pass


def square(x):
    return x * x


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

def run_queue(qfactory, n_prod, n_cons, n_per_prod, payload=None):
    """n_prod producers -> n_cons consumers on one queue (n_prod == n_cons so that
    each consumer stops on exactly one sentinel). Returns (seconds, received)."""
    assert n_prod == n_cons
    q = qfactory()
    barrier = CTX.Barrier(n_prod + n_cons)
    results = CTX.Queue()
    procs = [CTX.Process(target=q_producer, args=(q, n_per_prod, payload, barrier, results))
             for _ in range(n_prod)]
    procs += [CTX.Process(target=q_consumer, args=(q, barrier, results))
              for _ in range(n_cons)]
    try:
        start(procs)
        rs = [results.get(timeout=TIMEOUT) for _ in procs]
    finally:
        reap(procs)
    t0 = min(r[1] for r in rs if r[0] == "p")        # first producer starts putting
    t1 = max(r[1] for r in rs if r[0] == "c")        # last consumer has everything
    received = sum(r[2] for r in rs if r[0] == "c")
    if received != n_prod * n_per_prod:
        raise RuntimeError(f"received {received} != sent {n_prod * n_per_prod}")
    return (t1 - t0) / 1e9, received


def case_queue_small():
    secs, n = run_queue(CTX.Queue, 1, 1, SMALL_N)
    emit("queue_small", {"producers": 1, "consumers": 1, "payload": "int",
                         "method": METHOD}, "messages", n, secs, "msgs/s")


def case_queue_small_4p():
    secs, n = run_queue(CTX.Queue, 2, 2, SMALL_N // 2)
    emit("queue_small_4p", {"producers": 2, "consumers": 2, "payload": "int",
                            "method": METHOD}, "messages", n, secs, "msgs/s")


def case_queue_bytes():
    for name, size, count in (("queue_bytes_64k", 64 * KIB, 20_000),
                              ("queue_bytes_1m", MIB, 2_000)):
        payload = os.urandom(size)
        secs, n = run_queue(CTX.Queue, 1, 1, count, payload)
        emit(name, {"producers": 1, "consumers": 1, "payload_bytes": size,
                    "method": METHOD}, "messages", n, secs, "msgs/s",
             bytes=n * size, mb_per_s=round(n * size / secs / 1e6, 1))


def case_joinable_queue(n=100_000, workers=NPROC):
    tasks = CTX.JoinableQueue()
    done_counts = CTX.Queue()
    procs = [CTX.Process(target=jq_worker, args=(tasks, done_counts)) for _ in range(workers)]
    try:
        start(procs)
        t0 = now()
        for i in range(n):
            tasks.put(i)
        for _ in range(workers):
            tasks.put(None)          # one poison pill per consumer
        tasks.join()                 # returns when every put has been task_done()
        t1 = now()
        handled = sum(done_counts.get(timeout=TIMEOUT) for _ in procs)
    finally:
        reap(procs)
    if handled != n:
        raise RuntimeError(f"handled {handled} != {n}")
    emit("joinable_queue", {"producer": "parent", "consumers": workers, "payload": "int",
                            "method": METHOD}, "messages", n, (t1 - t0) / 1e9, "tasks/s")


def case_simple_queue():
    secs, n = run_queue(CTX.SimpleQueue, 1, 1, SMALL_N)
    emit("simple_queue", {"producers": 1, "consumers": 1, "payload": "int",
                          "method": METHOD}, "messages", n, secs, "msgs/s")


def time_round_trips(send, recv, n, warmup):
    """Warm up, then time n send+recv round trips one by one.
    Returns (total seconds, sorted per-round-trip ns)."""
    for i in range(warmup):
        send(i)
        recv()
    rtt = [0] * n
    t_start = now()
    for i in range(n):
        t0 = now()
        send(i)
        recv()
        rtt[i] = now() - t0
    t_end = now()
    rtt.sort()
    return (t_end - t_start) / 1e9, rtt


def latency_fields(rtt):
    n = len(rtt)
    return dict(median_us=round(statistics.median(rtt) / 1e3, 2),
                p99_us=round(rtt[-(-99 * n // 100) - 1] / 1e3, 2),   # nearest-rank p99
                min_us=round(rtt[0] / 1e3, 2))


def run_pipe_pingpong(name, n=50_000, warmup=2_000, **extra_params):
    a, b = CTX.Pipe()                # duplex
    p = CTX.Process(target=pipe_echo, args=(b,))
    try:
        start([p])
        b.close()
        secs, rtt = time_round_trips(a.send, a.recv, n, warmup)
        a.send(None)
    finally:
        reap([p])
    emit(name, dict({"payload": "int", "duplex": True, "warmup": warmup,
                     "method": METHOD}, **extra_params), "messages", n, secs,
         "round_trips/s", **latency_fields(rtt))


def case_pipe_pingpong():
    run_pipe_pingpong("pipe_pingpong")


def case_pipe_pingpong_contended():
    """pipe_pingpong with one nice-19 busy loop per CPU running meanwhile."""
    hogs = [CTX.Process(target=busy_loop, daemon=True) for _ in range(NPROC)]
    start(hogs)
    try:
        run_pipe_pingpong("pipe_pingpong_contended", busy_loops=NPROC, busy_nice=19)
    finally:
        for h in hogs:
            h.kill()
            h.join()


def case_pipe_pingpong_one_cpu():
    """pipe_pingpong with both processes pinned to CPU 0 (taskset -c 0)."""
    old = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})     # the child inherits it
    try:
        run_pipe_pingpong("pipe_pingpong_one_cpu", cpus="0")
    finally:
        os.sched_setaffinity(0, old)


def case_socket_pingpong(n=50_000, warmup=2_000):
    """pipe_pingpong over multiprocessing.connection Listener/Client on a Unix socket, with authkey."""
    authkey = os.urandom(16)
    with tempfile.TemporaryDirectory() as d:
        address = os.path.join(d, "s")
        with mpc.Listener(address, family="AF_UNIX", authkey=authkey) as listener:
            p = CTX.Process(target=socket_echo, args=(address, authkey))
            try:
                start([p])
                with listener.accept() as conn:
                    secs, rtt = time_round_trips(conn.send, conn.recv, n, warmup)
                    conn.send(None)
            finally:
                reap([p])
    emit("socket_pingpong", {"payload": "int", "family": "AF_UNIX", "authkey": True,
                             "warmup": warmup, "method": METHOD}, "messages", n, secs,
         "round_trips/s", **latency_fields(rtt))


def case_event_pingpong(n=20_000, warmup=1_000):
    """Two processes hand a turn back and forth through two Events: the parent
    sets ping and waits for pong; the child waits for ping, clears it, sets pong."""
    ping, pong = CTX.Event(), CTX.Event()
    p = CTX.Process(target=event_echo, args=(ping, pong, warmup + n))

    def send(_):
        ping.set()

    def recv():
        if not pong.wait(TIMEOUT):
            raise RuntimeError("event_pingpong: no pong")
        pong.clear()

    try:
        start([p])
        secs, rtt = time_round_trips(send, recv, n, warmup)
    finally:
        reap([p])
    emit("event_pingpong", {"events": 2, "warmup": warmup, "method": METHOD},
         "messages", n, secs, "round_trips/s", **latency_fields(rtt))


def case_pipe_stream():
    for name, raw, n, size in (("pipe_stream_small", False, SMALL_N, None),
                               ("pipe_stream_1m", True, 2_000, MIB)):
        r, w = CTX.Pipe(duplex=False)
        results = CTX.Queue()
        p = CTX.Process(target=pipe_sink, args=(r, n, raw, results))
        try:
            start([p])
            r.close()
            assert results.get(timeout=TIMEOUT) == "ready"
            if raw:
                buf = os.urandom(size)
                send = w.send_bytes
                t0 = now()
                for _ in range(n):
                    send(buf)
            else:
                send = w.send
                t0 = now()
                for i in range(n):
                    send(i)
            t1, nbytes = results.get(timeout=TIMEOUT)
        finally:
            reap([p])
        secs = (t1 - t0) / 1e9
        if raw:
            if nbytes != n * size:
                raise RuntimeError(f"received {nbytes} bytes != {n * size}")
            emit(name, {"api": "send_bytes/recv_bytes", "payload_bytes": size,
                        "method": METHOD}, "messages", n, secs, "msgs/s",
                 bytes=nbytes, mb_per_s=round(nbytes / secs / 1e6, 1))
        else:
            emit(name, {"api": "send/recv", "payload": "int", "method": METHOD},
                 "messages", n, secs, "msgs/s")


def case_value_lock_incr(per_proc=200_000):
    for name, nprocs in (("value_lock_incr", 2), ("value_lock_incr_1p", 1)):
        v = CTX.Value("i", 0)
        barrier = CTX.Barrier(nprocs)
        results = CTX.Queue()
        procs = [CTX.Process(target=value_incr, args=(v, per_proc, barrier, results))
                 for _ in range(nprocs)]
        try:
            start(procs)
            rs = [results.get(timeout=TIMEOUT) for _ in procs]
        finally:
            reap(procs)
        total = nprocs * per_proc
        exact = v.value == total
        if not exact:
            raise RuntimeError(f"final value {v.value} != {total}")
        secs = (max(r[1] for r in rs) - min(r[0] for r in rs)) / 1e9
        emit(name, {"processes": nprocs, "per_process": per_proc, "typecode": "i",
                    "method": METHOD}, "ops", total, secs, "incr/s",
             final_value=v.value, exact=exact)


def case_array_bulk(n=1_000_000):
    a = CTX.Array("d", n, lock=False)
    results = CTX.Queue()
    p = CTX.Process(target=array_writer, args=(a, n, results))
    try:
        start([p])
        w0, w1 = results.get(timeout=TIMEOUT)
    finally:
        reap([p])
    t0 = now()
    s = sum(a)                       # plain Python iteration over the shared ctypes array
    t1 = now()
    expected = n * (n - 1) / 2       # exact in double (< 2**53)
    if s != expected:
        raise RuntimeError(f"sum {s} != {expected}")
    params = {"typecode": "d", "length": n, "lock": False, "numpy": False, "method": METHOD}
    emit("array_bulk_write", dict(params, side="child a[i]=i"), "ops", n,
         (w1 - w0) / 1e9, "elements/s")
    emit("array_bulk_sum", dict(params, side="parent sum(a)"), "ops", n,
         (t1 - t0) / 1e9, "elements/s", sum_ok=True)


def case_process_start(reps=20):
    for method in ("fork", "spawn", "forkserver"):   # forkserver: ours only (a warm standby)
        ctx = mp.get_context(method)
        times = []
        for k in range(reps + 1):    # first start is a discarded warm-up
            t0 = now()
            p = ctx.Process(target=noop)
            p.start()
            p.join()
            dt = now() - t0
            if p.exitcode != 0:
                raise RuntimeError(f"{method} child exit {p.exitcode}")
            if k:
                times.append(dt)
        med = statistics.median(times)
        emit(f"process_start_{method}", {"method": method, "reps": reps, "warmup": 1,
                                         "target": "noop"},
             "ops", 1, med / 1e9, "starts/s", median_us=round(med / 1e3, 1),
             min_us=round(min(times) / 1e3, 1), max_us=round(max(times) / 1e3, 1))


def case_pool_map():
    for name, n, chunksize in (("pool_map", 200_000, None),
                               ("pool_map_chunksize1", 20_000, 1)):
        t0 = now()
        pool = CTX.Pool(2)
        try:
            pool.map(square, range(4))       # warm-up: all workers up and serving
            t1 = now()
            out = pool.map(square, range(n), chunksize)
            t2 = now()
        finally:
            pool.close()
            pool.join()
        if len(out) != n or out[-1] != (n - 1) ** 2:
            raise RuntimeError("bad pool.map result")
        # Pool.map's default: ceil(n / (4 * processes))
        eff = chunksize or -(-n // (4 * 2))
        emit(name, {"processes": 2, "chunksize": chunksize or f"default({eff})",
                    "func": "x*x", "method": METHOD}, "ops", n, (t2 - t1) / 1e9,
             "tasks/s", pool_start_ms=round((t1 - t0) / 1e6, 2))


def case_pool_submit(n=20_000):
    """n apply_async calls on a warm pool of 2, then every result awaited."""
    pool = CTX.Pool(2)
    try:
        pool.map(square, range(4))           # warm-up: all workers up and serving
        t0 = now()
        futures = [pool.apply_async(square, (i,)) for i in range(n)]
        out = [f.get(TIMEOUT) for f in futures]
        t1 = now()
    finally:
        pool.close()
        pool.join()
    if len(out) != n or out[-1] != (n - 1) ** 2:
        raise RuntimeError("bad pool.apply_async result")
    emit("pool_submit", {"processes": 2, "api": "apply_async", "func": "x*x",
                         "method": METHOD}, "ops", n, (t1 - t0) / 1e9, "tasks/s")


def case_pool_start(reps=10):
    """Time from creating a pool of 2 until it has run its first task (median of reps)."""
    times = []
    for k in range(reps + 1):                # first start is a discarded warm-up
        t0 = now()
        pool = CTX.Pool(2)
        try:
            if pool.apply(square, (3,)) != 9:
                raise RuntimeError("bad pool.apply result")
            dt = now() - t0
        finally:
            pool.close()
            pool.join()
        if k:
            times.append(dt)
    med = statistics.median(times)
    emit("pool_start", {"processes": 2, "reps": reps, "warmup": 1, "first_task": "apply(x*x)",
                        "method": METHOD}, "ops", 1, med / 1e9, "starts/s",
         median_us=round(med / 1e3, 1), min_us=round(min(times) / 1e3, 1),
         max_us=round(max(times) / 1e3, 1))


# (case name, function, the result names it emits)
CASES = [
    ("queue_small", case_queue_small, ["queue_small"]),
    ("queue_small_4p", case_queue_small_4p, ["queue_small_4p"]),
    ("queue_bytes", case_queue_bytes, ["queue_bytes_64k", "queue_bytes_1m"]),
    ("joinable_queue", case_joinable_queue, ["joinable_queue"]),
    ("simple_queue", case_simple_queue, ["simple_queue"]),
    ("pipe_pingpong", case_pipe_pingpong, ["pipe_pingpong"]),
    ("pipe_pingpong_contended", case_pipe_pingpong_contended, ["pipe_pingpong_contended"]),
    ("pipe_pingpong_one_cpu", case_pipe_pingpong_one_cpu, ["pipe_pingpong_one_cpu"]),
    ("socket_pingpong", case_socket_pingpong, ["socket_pingpong"]),
    ("pipe_stream", case_pipe_stream, ["pipe_stream_small", "pipe_stream_1m"]),
    ("value_lock_incr", case_value_lock_incr, ["value_lock_incr", "value_lock_incr_1p"]),
    ("array_bulk", case_array_bulk, ["array_bulk_write", "array_bulk_sum"]),
    ("event_pingpong", case_event_pingpong, ["event_pingpong"]),
    ("process_start", case_process_start,
     ["process_start_fork", "process_start_spawn", "process_start_forkserver"]),
    ("pool_map", case_pool_map, ["pool_map", "pool_map_chunksize1"]),
    ("pool_submit", case_pool_submit, ["pool_submit"]),
    ("pool_start", case_pool_start, ["pool_start"]),
]


def select(argv, exact=False):
    """The cases whose name or a result name equals (exact) or starts with one of argv."""
    if not argv:
        return list(CASES)
    hit = (lambda n, a: n == a) if exact else (lambda n, a: n.startswith(a))
    return [c for c in CASES if any(hit(n, a) for n in [c[0], *c[2]] for a in argv)]


def summarize(path):
    """Markdown table of per-case medians over the runs in a results .jsonl file.
    Lines with a "run" key are run markers; the case lines after one form that run.
    Runs where any case saw more than DISTURBED s of foreign CPU are left out."""
    blocks = []
    for line in open(path):
        if line.strip():
            rec = json.loads(line)
            if "run" in rec:
                blocks.append((rec["run"], []))
            else:
                blocks[-1][1].append(rec)
    runs, dropped, cases, errors = 0, [], {}, []
    for run, recs in blocks:
        if any(r.get("foreign_cpu_s", 0) > DISTURBED for r in recs):
            dropped.append(run)
            continue
        runs += 1
        for r in recs:
            if "error" in r:
                errors.append(f"run {run}: {r['name']}: {r['error']}")
            else:
                cases.setdefault(r["name"], []).append(r)
    print(f"Medians over {runs} undisturbed run(s); left out as disturbed: {dropped or 'none'}\n")
    med = lambda recs, k: statistics.median(r[k] for r in recs) if k in recs[0] else None
    fmt = lambda x, nd=0: "" if x is None else f"{x:,.{nd}f}"
    print("| case | n | seconds | rate/s (median) | unit | rate min–max | MB/s | median µs | p99 µs | foreign CPU s (max) |")
    print("|---|---:|---:|---:|---|---|---:|---:|---:|---:|")
    for name, recs in cases.items():
        rates = [r["rate_per_s"] for r in recs]
        n = recs[0].get("messages", recs[0].get("ops"))
        spread = f"{fmt(min(rates))}–{fmt(max(rates))}" + ("" if len(recs) == runs else f" ({len(recs)} runs)")
        print(f"| {name} | {n:,} | {med(recs, 'seconds'):.4f} | {fmt(med(recs, 'rate_per_s'))} | "
              f"{recs[0]['rate_unit']} | {spread} | {fmt(med(recs, 'mb_per_s'))} | "
              f"{fmt(med(recs, 'median_us'), 1)} | {fmt(med(recs, 'p99_us'), 1)} | "
              f"{fmt(max((r.get('foreign_cpu_s', 0) for r in recs), default=None), 2)} |")
    for e in errors:
        print(f"\nERROR {e}")


def main(argv):
    if argv[:1] == ["--summarize"]:
        summarize(argv[1])
        return 0
    if "--list" in argv:
        print("\n".join(name for name, _, _ in CASES))
        return 0
    exact = "--exact" in argv
    argv = [a for a in argv if a != "--exact"]
    if "--wait-quiet" in argv:
        argv = [a for a in argv if a != "--wait-quiet"]
        wait_quiet()
    selected = select(argv, exact)
    failed = 0
    global _mark
    for name, fn, _ in selected:
        try:
            _mark = cpu_sample()
            fn()
        except Exception as e:           # report and carry on with the other cases
            failed += 1
            print(json.dumps({"name": name, "error": f"{type(e).__name__}: {e}"}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
