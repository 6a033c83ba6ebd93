"""`make local`: start the emulation, seed the demo tenant, serve http://127.0.0.1:3000."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from werkzeug.serving import make_server

from infra.local.runtime import LocalRuntime
from infra.local.server import LocalServer
from infra.local.template import ROOT


def main() -> int:
    host = os.environ.get("HUIKE_HOST", "127.0.0.1")
    port = int(os.environ.get("HUIKE_PORT", "3000"))
    credentials_path = Path(os.environ.get("HUIKE_TENANT_FILE", ROOT / ".local" / "tenant.json"))
    runtime = LocalRuntime(parameters={"PublicBaseUrl": f"http://{host}:{port}"}).start()
    credentials = runtime.seed_tenant()
    runtime.write_credentials(credentials, credentials_path)
    server = make_server(host, port, LocalServer(runtime), threaded=True)
    print(f"Huike local API: http://{host}:{port}", flush=True)
    print(f"Demo tenant ({credentials_path}):", flush=True)
    print(json.dumps(credentials.as_dict(), indent=2), flush=True)
    print("Ctrl-C to stop.", flush=True)
    # Ctrl-C stops the server even when it was started where SIGINT is inherited as ignored (a
    # background job of a non-interactive shell, as CI and scripts start it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        runtime.stop()
        print("Huike local runtime stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
