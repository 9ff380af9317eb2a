package proxytest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Nginx starts nginx. conf is the body of the http{} block (server blocks
// and all), with "$PORT" and "$DIR" replaced; a server must listen on
// 127.0.0.1:$PORT, the address the harness waits for.
//
// The harness writes the main context itself so that nginx, even as root,
// touches nothing outside the temporary directory: daemon off (it is our
// child), master_process off (a single process that stays our child and that
// never switches to the www-data user, who could not read t.TempDir()),
// pid, lock file, error log and the http block's access log and every
// *_temp_path in $DIR. Debian's /etc/nginx is not read at all, so
// modules-enabled, mime.types and sites-enabled do not apply. The error
// log is at level info, so auth_request failures are explained in LogTail.
func Nginx(t testing.TB, conf string) *Server {
	t.Helper()
	return run(t, nginxProxy(conf))
}

func nginxProxy(conf string) proxy {
	return proxy{
		name:  "nginx",
		bins:  []string{"nginx", "/usr/sbin/nginx"},
		hint:  "Debian package nginx",
		write: func(dir string, port int) ([]string, error) { return writeNginx(dir, port, conf) },
		logs:  []string{"error.log", "access.log"},
	}
}

const nginxMain = `daemon off;
master_process off;
worker_processes 1;
pid $DIR/nginx.pid;
lock_file $DIR/nginx.lock;
error_log $DIR/error.log info;

events {
	worker_connections 256;
}

http {
	access_log $DIR/access.log;
	client_body_temp_path $DIR/tmp/client_body;
	proxy_temp_path $DIR/tmp/proxy;
	fastcgi_temp_path $DIR/tmp/fastcgi;
	uwsgi_temp_path $DIR/tmp/uwsgi;
	scgi_temp_path $DIR/tmp/scgi;
	default_type application/octet-stream;

`

func writeNginx(dir string, port int, conf string) ([]string, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		return nil, err
	}
	body := strings.TrimRight(expand(conf, dir, port), "\n")
	text := expand(nginxMain, dir, port) + body + "\n}\n"
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return nil, err
	}
	// -e: the error log nginx uses before it has read error_log (Debian's
	// build default is stderr, but another build's may be /var/log/nginx).
	return []string{"-p", dir + "/", "-c", path, "-e", filepath.Join(dir, "error.log")}, nil
}
