"""`make local`: start the emulation, seed the demo tenant, serve http://127.0.0.1:3000."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from werkzeug.serving import make_server

from infra.local.runtime import LocalRuntime, TenantCredentials
from infra.local.server import LocalServer
from infra.local.template import ROOT


def main() -> int:
    host = os.environ.get("HUIKE_HOST", "127.0.0.1")
    port = int(os.environ.get("HUIKE_PORT", "3000"))
    credentials_path = Path(os.environ.get("HUIKE_TENANT_FILE", ROOT / ".local" / "tenant.json"))
    base = f"http://{host}:{port}"
    runtime = LocalRuntime(parameters={"PublicBaseUrl": base}, s3_endpoint=base).start()
    try:
        # Bind before anything is written: a start that fails (port busy) leaves tenant.json alone.
        server = make_server(host, port, LocalServer(runtime), threaded=True)
    except (OSError, SystemExit) as exc:  # werkzeug exits on a busy port after saying so
        runtime.stop()
        print(f"Huike local runtime could not listen on {host}:{port} ({exc}); set HUIKE_PORT", file=sys.stderr)
        return 1
    # The demo tenant keeps its credentials across restarts, so the store's webhooks stay valid.
    credentials = runtime.seed_tenant(credentials=TenantCredentials.read(credentials_path))
    runtime.write_credentials(credentials, credentials_path)
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
