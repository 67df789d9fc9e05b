namespace Bootstrap.Builder.Pxe.Tftp;

/// <summary>
/// Threads for TFTP transfers, each blocked in recv(2) for its client's ACKs, kept for
/// <c>keepIdle</c> after a transfer so the next one starts on a thread already there. Our own
/// because the thread pool is for short work (a transfer would hold a pool thread for seconds, and
/// a boot storm would starve it), and a new thread per transfer cost 0.3 ms of its start
/// (bench/pxe.sh). The caller bounds how much work runs at once.
/// </summary>
internal sealed class TransferThreads(TimeSpan keepIdle)
{
    private readonly object _gate = new();
    private readonly Queue<Action> _queue = new();
    private int _idle;

    public void Run(Action work)
    {
        lock (_gate)
        {
            _queue.Enqueue(work);
            // Every idle thread is waiting on the gate and takes one piece of work when woken.
            if (_idle >= _queue.Count)
            {
                Monitor.Pulse(_gate);
                return;
            }
        }
        new Thread(Work) { IsBackground = true, Name = "TFTP transfer" }.Start();
    }

    private void Work()
    {
        while (true)
        {
            Action work;
            lock (_gate)
            {
                _idle++;
                try
                {
                    while (_queue.Count == 0)
                    {
                        if (!Monitor.Wait(_gate, keepIdle) && _queue.Count == 0)
                            return;
                    }
                    work = _queue.Dequeue();
                }
                finally
                {
                    _idle--;
                }
            }
            work();
        }
    }
}
