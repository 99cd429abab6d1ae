"""sphinx-gallery reset function (importable by name, so the config pickles)."""


def one_thread(gallery_conf, fname):
    """Run every example with one torch thread and one BLAS thread.

    The examples' problems are small: on two shared cores more threads only
    add overhead (busy-waiting BLAS and torch threads made some examples ten
    times slower on a loaded machine), and a thread count left over from the
    previous example would make the timings depend on the order of the
    gallery.
    """
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)
