package apachetest

import (
	"fmt"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// What the harness needs from the Debian packages apache2 and
// libapache2-mod-auth-tkt.
const (
	apacheBin  = "/usr/sbin/apache2"
	moduleDir  = "/usr/lib/apache2/modules"
	authTktMod = "auth_tkt"
)

// baseModules are loaded into every server: prefork because mod_cgi needs a
// non-threaded MPM, authz for "Require valid-user", alias for the CGI
// mapping.
func baseModules() []string {
	return []string{"mpm_prefork", "authn_core", "authz_core", "authz_user", "alias", "cgi", authTktMod}
}

func modulePath(name string) string {
	return filepath.Join(moduleDir, "mod_"+name+".so")
}

// runAs returns the User/Group lines: as root, Apache refuses to serve as
// root, so the children run as www-data (or nobody); otherwise they run as
// the current user and need none.
func runAs(uid int) string {
	if uid != 0 {
		return ""
	}
	if _, err := user.Lookup("www-data"); err == nil {
		return "User www-data\nGroup www-data\n"
	}
	return "User nobody\nGroup nogroup\n"
}

// quote writes s as an Apache config argument. Apache's quoting has escapes
// we don't want to reason about, so values needing them are refused.
func quote(s string) (string, error) {
	if strings.ContainsAny(s, "\"\\\n\r") {
		return "", fmt.Errorf("apachetest: value %q holds a quote, backslash or newline", s)
	}
	return `"` + s + `"`, nil
}

// writeConf renders httpd.conf for c with the given vhost ports.
func writeConf(dir string, c Config, ports []int, uid int) (string, error) {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# Written by internal/apachetest for one test run.")
	p("ServerRoot %q", dir)
	p("ServerName 127.0.0.1")
	p("PidFile %q", filepath.Join(dir, "run", "apache2.pid"))
	p("DefaultRuntimeDir %q", filepath.Join(dir, "run"))
	p("Mutex file:%s default", filepath.Join(dir, "run"))
	p("ScoreBoardFile %q", filepath.Join(dir, "run", "scoreboard"))
	p("ErrorLog %q", filepath.Join(dir, "logs", "error.log"))
	if c.Debug {
		p("LogLevel info auth_tkt:debug")
	} else {
		p("LogLevel info")
	}
	b.WriteString(runAs(uid))
	for _, m := range append(baseModules(), c.Modules...) {
		p("LoadModule %s_module %s", m, modulePath(m))
	}
	// Small and quick: a test sends a few dozen requests.
	p("StartServers 2\nMinSpareServers 2\nMaxSpareServers 6\nMaxRequestWorkers 16")
	p("KeepAlive Off\nTimeout 20\nServerSignature Off")
	p("DocumentRoot %q", filepath.Join(dir, "htdocs"))
	p("<Directory />\n  AllowOverride None\n  Require all denied\n</Directory>")
	p("<Directory %q>\n  Options +ExecCGI\n  Require all granted\n</Directory>", filepath.Join(dir, "cgi-bin"))
	// Every URL, protected or not, runs the CGI, so a test sees what the
	// backend would see, and the login and unauth URLs answer 200.
	p("ScriptAliasMatch \"^/.*$\" %q", filepath.Join(dir, "cgi-bin", "env.cgi"))
	if c.Debug {
		p("<Location />\n  TKTAuthDebug 1\n</Location>")
	}
	for _, port := range ports {
		p("Listen 127.0.0.1:%d", port)
	}
	for i, vh := range c.VHosts {
		if err := writeVHost(&b, vh, ports[i]); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

func writeVHost(b *strings.Builder, vh VHost, port int) error {
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	secret, err := quote(vh.Secret)
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "<VirtualHost 127.0.0.1:%d>\n  ServerName 127.0.0.1\n", port)
	fmt.Fprintf(b, "  TKTAuthSecret %s\n", secret)
	if vh.OldSecret != "" {
		old, err := quote(vh.OldSecret)
		if err != nil {
			return err
		}
		fmt.Fprintf(b, "  TKTAuthSecretOld %s\n", old)
	}
	if vh.Digest != "" {
		fmt.Fprintf(b, "  TKTAuthDigestType %s\n", vh.Digest)
	}
	for _, l := range vh.Locations {
		fmt.Fprintf(b, "  <Location %s>\n    AuthType None\n    Require valid-user\n", l.Path)
		for _, d := range l.Directives {
			fmt.Fprintf(b, "    %s\n", strings.ReplaceAll(d, "$BASE", base))
		}
		b.WriteString("  </Location>\n")
	}
	for _, e := range vh.Extra {
		fmt.Fprintf(b, "  %s\n", strings.ReplaceAll(e, "$BASE", base))
	}
	b.WriteString("</VirtualHost>\n")
	return nil
}
