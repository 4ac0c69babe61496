# Sourced by the bench scripts: one nginx worker on loopback serving an 11-byte file, with an
# HTTP/1.1 listener, an h2c (HTTP/2 with prior knowledge) listener and a TLS listener that
# speaks h2 and http/1.1 by ALPN (self-signed certificate). Requests go to the access log, so
# the server counts what each tool really sent.
#   start_nginx DIR   sets H1 H2C TLS (base URLs), ACCESS_LOG; stops nginx on exit.
#   served            requests in the access log since the last `reset_log`.

need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }

start_nginx() {
    local dir=$1
    need nginx nginx-light
    need openssl openssl
    mkdir -p "$dir/html" "$dir/logs"
    printf 'hello world' >"$dir/html/index.html"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
    cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 8192; }
http {
    access_log $dir/logs/access.log;
    keepalive_requests 100000000;
    ssl_session_cache shared:bench:1m;
    server {
        listen 127.0.0.1:18089;
        listen 127.0.0.1:18090 http2;
        listen 127.0.0.1:18443 ssl http2;
        ssl_certificate $dir/cert.pem;
        ssl_certificate_key $dir/key.pem;
        root $dir/html;
        location = /metrics { access_log off; return 404; }
    }
}
CONF
    nginx -c "$dir/nginx.conf"
    NGINX_CONF="$dir/nginx.conf"
    trap 'nginx -c "$NGINX_CONF" -s stop 2>/dev/null || true' EXIT
    H1=http://127.0.0.1:18089
    H2C=http://127.0.0.1:18090
    TLS=https://127.0.0.1:18443
    ACCESS_LOG=$dir/logs/access.log
    for _ in $(seq 50); do curl -s -o /dev/null "$H1/index.html" 2>/dev/null && break; sleep 0.1; done
    reset_log
}

reset_log() { : >"$ACCESS_LOG"; }
served() { grep -c ' /index.html ' "$ACCESS_LOG" || true; }
