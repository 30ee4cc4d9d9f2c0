"""The notebooks' kernel: fast starts from a warm parent, and a record of the data files read.

Starting a kernel and importing pandas, matplotlib, scipy and this package costs about as much
as running one of the book's notebooks, and the build runs one kernel per notebook. So, during a
build, a **forker** process imports those libraries once and forks each kernel from itself: a
kernel then starts with everything imported, as a copy of the warm parent (Linux/macOS ``fork``).
Every notebook still runs in a kernel of its own, with nothing left over from another notebook.

The kernelspec the build installs (see :func:`livingreview.build.execute.ensure_kernel`) runs
``python -m livingreview.build.kernel -f <connection file>``. That launcher asks the forker named in
the environment variable :data:`FORKER_ENV` for a kernel, then stays alive as the kernel's
stand-in for the kernel manager (it passes signals on and exits when the kernel does). Without a
forker (or if it cannot be reached) the launcher becomes an ordinary ipykernel itself.

A kernel started with :data:`READS_ENV` and :data:`READS_ROOT_ENV` set records (through a
Python audit hook) every file it opens and every folder it lists under that root, one per line,
in the file :data:`READS_ENV` names. The build uses the record as the run's exact data
dependencies: a notebook is re-executed when a file it read, or a folder it listed or read from,
changes, and not otherwise.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import signal
import socket
import sys
import threading
import time

FORKER_ENV = "LIVINGREVIEW_KERNEL_FORKER"
READS_ENV = "LIVINGREVIEW_READS_FILE"
READS_ROOT_ENV = "LIVINGREVIEW_READS_ROOT"
# The inline backend, set before matplotlib is imported, as ipykernel itself would set it; the
# backend module is imported only inside each kernel, where it hooks into that kernel's shell.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
# What every kernel imports on start (the notebooks' own imports are added by the build).
KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "IPython", "matplotlib", "zmq")
READY = "ready"
LAUNCHER_POLL_SECONDS = 0.05
ORPHAN_POLL_SECONDS = 0.5


# ----------------------------------------------------------------------------- read record


def record_reads(record_file: str, root: str) -> None:
    """From now on, append to ``record_file`` each file opened and folder listed under ``root``
    (as ``open<TAB>path`` / ``list<TAB>path``, relative to root, each once)."""
    root = os.path.realpath(root)
    prefix = root + os.sep
    record = open(record_file, "a", encoding="utf-8")  # opened before the hook: not recorded
    seen: set[tuple[str, str]] = set()

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            kind = "open"
        elif event in ("os.listdir", "os.scandir"):
            kind = "list"
        else:
            return
        path = args[0] if args else None
        if isinstance(path, int) or path is None:  # a descriptor: its path was recorded
            return
        try:
            path = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return
        if path != root and not path.startswith(prefix):
            return
        entry = (kind, os.path.relpath(path, root).replace(os.sep, "/"))
        if entry not in seen:
            seen.add(entry)
            record.write(f"{entry[0]}\t{entry[1]}\n")
            record.flush()

    sys.addaudithook(hook)


def read_record(record_file) -> tuple[list[str], list[str]]:
    """The files opened and the folders listed, as recorded by :func:`record_reads`."""
    opened, listed = set(), set()
    with open(record_file, encoding="utf-8") as lines:
        for line in lines:
            kind, _, path = line.rstrip("\n").partition("\t")
            (opened if kind == "open" else listed).add(path)
    return sorted(opened), sorted(listed)


# ----------------------------------------------------------------------------- kernel


def run_kernel(arguments: list[str]) -> None:
    """Run an ipykernel in this process (returns when the kernel shuts down)."""
    record_file, root = os.environ.get(READS_ENV), os.environ.get(READS_ROOT_ENV)
    if record_file and root:
        record_reads(record_file, root)
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    from ipykernel import kernelapp

    sys.argv = ["ipykernel_launcher", *arguments]
    kernelapp.IPKernelApp.launch_instance(argv=arguments)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _request_kernel(address: str, arguments: list[str]) -> int:
    """Ask the forker for a kernel; returns its process id."""
    request = {"arguments": arguments, "cwd": os.getcwd(), "environment": dict(os.environ),
               "launcher": os.getpid()}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(address)
        connection.sendall(json.dumps(request).encode() + b"\n")
        reply = connection.makefile("r", encoding="utf-8").readline()
    return int(json.loads(reply)["pid"])


def launch(arguments: list[str]) -> None:
    """The kernelspec's entry point: a forked kernel when a forker is running, else a kernel
    in this process."""
    address = os.environ.get(FORKER_ENV)
    if address:
        try:
            pid = _request_kernel(address, arguments)
        except (OSError, ValueError, KeyError):
            pid = None
        if pid is not None:
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
                signal.signal(signum, lambda received, _frame: os.kill(pid, received))
            while _alive(pid):
                time.sleep(LAUNCHER_POLL_SECONDS)
            return
    run_kernel(arguments)


# ----------------------------------------------------------------------------- forker


def _as_if_imported_in_a_kernel() -> None:
    """Undo what the preloaded libraries decided, at import, from not being in a kernel."""
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        # pandas sets this default when imported: 0 (fit the terminal) outside IPython, 20 in a
        # kernel. Tables printed as text would otherwise be cut to the forker's terminal.
        pandas.set_option("display.max_columns", 20)


def _become_kernel(request: dict) -> None:
    """In a forked child: take the launcher's folder and environment and run the kernel."""
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel waits for its own children
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["environment"])
        os.environ.pop(FORKER_ENV, None)
        launcher = int(request["launcher"])

        def exit_with_launcher() -> None:
            # The launcher is what the kernel manager watches and kills; no kernel outlives it.
            while _alive(launcher):
                time.sleep(ORPHAN_POLL_SECONDS)
            os._exit(1)

        threading.Thread(target=exit_with_launcher, daemon=True).start()
        _as_if_imported_in_a_kernel()
        arguments = list(request["arguments"])
        if os.environ.get("JPY_PARENT_PID"):
            # ipykernel reads the variable when it is imported, which was in the forker.
            arguments.append(f"--IPKernelApp.parent_handle={os.environ['JPY_PARENT_PID']}")
        run_kernel(arguments)
        atexit._run_exitfuncs()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001 - reported, and the child must never return to the loop
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def serve(address: str, modules: list[str]) -> None:
    """The forker: import ``modules``, then fork a kernel for each request until told to stop
    or until the process that started it is gone."""
    os.environ["MPLBACKEND"] = INLINE_BACKEND
    for name in (*KERNEL_MODULES, *modules):
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # the notebook will report it, from its own kernel
    parent = os.getppid()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked kernels are reaped automatically
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(16)
    listener.settimeout(ORPHAN_POLL_SECONDS)
    print(READY, flush=True)
    os.dup2(2, 1)  # kernels' low-level output goes to the build's log, not the unread pipe
    try:
        while os.getppid() == parent:
            try:
                connection, _ = listener.accept()
            except socket.timeout:
                continue
            with connection:
                connection.settimeout(None)
                line = connection.makefile("r", encoding="utf-8").readline()
                if not line.strip():
                    continue
                request = json.loads(line)
                if request.get("stop"):
                    break
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    connection.close()
                    _become_kernel(request)
                connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    finally:
        listener.close()
        if os.path.exists(address):
            os.unlink(address)


class Forker:
    """A forker process, started early (:meth:`start` does not wait for it to import) and made
    the kernels' parent by :meth:`use` (which starts it if need be); :meth:`close` stops it.
    Also a context manager that does all three."""

    def __init__(self, folder, modules: list[str]):
        self.address = os.path.join(os.fspath(folder), "kernel-forker.sock")
        self.modules = list(modules)
        self.process = None
        self.ready = False

    def start(self) -> "Forker":
        import subprocess

        # fork without exec is safe on Linux; elsewhere (macOS system libraries) it may not be.
        if not sys.platform.startswith("linux") or self.process is not None:
            return self
        os.makedirs(os.path.dirname(self.address), exist_ok=True)
        if os.path.exists(self.address):
            os.unlink(self.address)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "livingreview.build.kernel", "--serve", self.address, *self.modules],
            stdout=subprocess.PIPE, text=True)
        return self

    def use(self) -> None:
        """Start the forker if it is not started, wait until it has imported its modules, then
        route kernel starts to it (by :data:`FORKER_ENV`, inherited by worker processes started
        afterwards). If it failed, kernels start the ordinary way."""
        if self.ready:
            return
        self.start()
        if self.process is None:
            return
        if self.process.stdout.readline().strip() == READY:
            self.ready = True
            os.environ[FORKER_ENV] = self.address
        else:
            self._kill()

    def _kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.process.stdout.close()
        self.process = None

    def close(self) -> None:
        os.environ.pop(FORKER_ENV, None)
        if self.process is None:
            return
        if self.ready:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                    connection.connect(self.address)
                    connection.sendall(b'{"stop": true}\n')
                self.process.wait(timeout=10)
                self.process.stdout.close()
                self.process = None
                return
            except Exception:  # noqa: BLE001 - whatever went wrong, it must not outlive the build
                pass
        self._kill()

    def __enter__(self) -> "Forker":
        self.start().use()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def main(arguments: list[str]) -> None:
    if arguments[:1] == ["--serve"]:
        serve(arguments[1], arguments[2:])
    else:
        launch(arguments)


if __name__ == "__main__":
    main(sys.argv[1:])
