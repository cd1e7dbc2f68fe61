# A Tansu broker of its own for a probe script: started on a free port with scripts/broker.sh (as
# the tests start theirs), stopped when the `with` block ends.
import contextlib, os, socket, subprocess, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@contextlib.contextmanager
def local_broker(name):
    """Yields (bootstrap address, broker pid) of a broker that answers Kafka requests."""
    folder = tempfile.mkdtemp(prefix=name + "-")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    script = os.path.join(ROOT, "scripts/broker.sh")
    subprocess.run([script, "start", port, folder], check=True)
    try:
        with open(os.path.join(folder, "broker.pid")) as pid_file:
            pid = int(pid_file.read())
        yield f"127.0.0.1:{port}", pid
    finally:
        subprocess.run([script, "stop", folder], check=False)
