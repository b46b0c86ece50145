# The moto zygote: loads moto once, then forks a moto_server for each
# request on its Unix socket. See zygote_linux.go.
#
# argv: socket path, pid of the process whose children share the zygote.
# A request is one line of JSON, {"host": ..., "port": ...}. The forked
# server answers "ready <pid>\n" once it listens, or closes the connection
# if it cannot, and exits when the requester closes its end.
import fcntl
import json
import os
import select
import socket
import sys
import threading
import time

IDLE_SECONDS = 60
SERVICES = ("secretsmanager", "sqs", "events", "dynamodb")

sock_path, parent = sys.argv[1], int(sys.argv[2])


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# One zygote per socket: the lock makes the check and the bind one step.
lock = open(sock_path + ".lock", "w")
fcntl.flock(lock, fcntl.LOCK_EX)
probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    probe.connect(sock_path)
    sys.exit(0)  # another zygote serves this socket
except OSError:
    pass
finally:
    probe.close()
try:
    os.unlink(sock_path)
except FileNotFoundError:
    pass
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(sock_path)
listener.listen(128)
own = os.stat(sock_path).st_ino
fcntl.flock(lock, fcntl.LOCK_UN)
lock.close()

# Requests wait in the backlog while moto loads.
try:
    import moto.backends as backends

    _modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: iter(_modules)
except Exception:
    pass
import functools
import logging
from moto.core.utils import get_service_model, service_name_from_moto_package_name
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

app = DomainDispatcherApplication(create_backend_app)
app.debug = True
# Loaded at the first request that needs them, and kept: a service's
# botocore model (not every call below needs it), and the list of every
# botocore service, which moto's errors ask for.
for name in SERVICES:
    try:
        get_service_model(name)
        service_name_from_moto_package_name(name)
    except Exception:
        pass
# Two pure functions moto calls at every request: the list of a class's
# methods (through inspect.getmembers) and a name's snake case.
try:
    import moto.core.utils as utils

    def _cached(fn):
        cached = functools.lru_cache(maxsize=None)(fn)
        if fn is utils.method_names_from_class:
            return lambda clazz: list(cached(clazz))
        return cached

    for fn in (utils.method_names_from_class, utils.camelcase_to_underscores):
        wrapped = _cached(fn)
        for module in list(sys.modules.values()):
            if getattr(module, fn.__name__, None) is fn and (module.__name__ or "").startswith("moto"):
                setattr(module, fn.__name__, wrapped)
except Exception:
    pass
# EventBridge builds a JSONPath parser for each path of each event it
# delivers (20 ms each); a parsed path does not change.
try:
    import jsonpath_ng.ext

    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)
    from moto.events.utils import EventTemplateParser

    for path in EventTemplateParser.DEFAULT_EVENT_INPUT_PATHS_MAP.values():
        jsonpath_ng.ext.parse(path)
except Exception:
    pass
# The per-request log line costs more than some requests. Its logger
# is set up (and imports what it needs) at its first line.
logging.getLogger("werkzeug").setLevel(logging.WARNING)
try:
    from werkzeug._internal import _log

    _log("debug", "moto zygote")
except Exception:
    pass

# One read-only call to each service does here, once, what moto leaves to
# the first request and keeps: it builds the service's Flask app, its
# backend and region list, and imports access control and IAM, so every
# fork has them. It creates only what any first
# call does, such as the default event bus.
try:
    from werkzeug.test import Client

    client = Client(app)
    for name, target, version in (
        ("secretsmanager", "secretsmanager.ListSecrets", "1.1"),
        ("sqs", "AmazonSQS.ListQueues", "1.0"),
        ("events", "AWSEvents.ListEventBuses", "1.1"),
        ("dynamodb", "DynamoDB_20120810.ListTables", "1.0"),
    ):
        client.post(
            "/",
            data=b"{}",
            headers={
                "Host": "%s.us-east-1.amazonaws.com" % name,
                "Content-Type": "application/x-amz-json-" + version,
                "X-Amz-Target": target,
                "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/%s/aws4_request, "
                "SignedHeaders=host, Signature=0" % name,
            },
        )
    # The dashboard, which a client checking the server asks for, and a
    # server socket, whose first one reads werkzeug's version.
    client.get("/moto-api/")
    make_server("127.0.0.1", 0, app, threaded=True).server_close()
except Exception:
    pass


def serve(conn, host, port):
    """Runs in the forked child; never returns."""
    os.environ["MOTO_PORT"] = str(port)
    server = make_server(host, port, app, threaded=True)
    conn.sendall(b"ready %d\n" % os.getpid())

    def watch():
        try:
            while conn.recv(64):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    server.serve_forever()
    os._exit(0)


def request(conn):
    conn.settimeout(10)
    line = b""
    while not line.endswith(b"\n") and len(line) < 4096:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        line += chunk
    req = json.loads(line)
    return str(req["host"]), int(req["port"])


children = set()
last = time.monotonic()
while alive(parent) and (children or time.monotonic() - last < IDLE_SECONDS):
    ready, _, _ = select.select([listener], [], [], 1.0)
    while children:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            children.clear()
            break
        if pid == 0:
            break
        children.discard(pid)
    if not ready:
        continue
    conn, _ = listener.accept()
    last = time.monotonic()
    try:
        req = request(conn)
    except Exception:
        req = None
    if req is None:
        conn.close()
        continue
    pid = os.fork()
    if pid == 0:
        try:
            listener.close()
            conn.settimeout(None)
            serve(conn, *req)
        finally:
            os._exit(1)
    children.add(pid)
    conn.close()

try:
    if os.stat(sock_path).st_ino == own:
        for path in (sock_path, sock_path + ".lock", sock_path + ".log"):
            os.unlink(path)
except OSError:
    pass
