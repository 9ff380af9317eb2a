package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// embedded holds the default templates and static files. It is read-only.
//
//go:embed templates/*.html templates/static
var embedded embed.FS

// The page templates; each is executed inside layout.html.
const (
	pageLogin     = "login.html"
	pageLoggedOut = "loggedout.html"
	pageHome      = "home.html"
	pageError     = "error.html"
	pageCode      = "code.html"
	pageRecovery  = "recovery.html"
	pageSecurity  = "security.html"
	layoutFile    = "layout.html"
)

var pageFiles = []string{pageLogin, pageLoggedOut, pageHome, pageError, pageCode, pageRecovery, pageSecurity}

// Bounds on what an override directory may hold: assets are kept in memory
// so that a reload swaps them atomically with the templates.
const (
	maxAssetSize   = 2 << 20
	maxAssetsTotal = 16 << 20
)

// logoNames are looked for in this order, in the override directory first.
var logoNames = []string{"logo.svg", "logo.png", "logo.webp", "logo.jpg", "logo.gif"}

// assets are the parsed templates and the static files, one immutable set.
type assets struct {
	pages  map[string]*template.Template
	static map[string]*staticFile
	logo   string // static file name of the logo, "" for none
}

type staticFile struct {
	data    []byte
	ctype   string
	etag    string
	modTime time.Time
}

// source is one layer of files: the override directory or the embedded set.
type source struct {
	html   map[string][]byte
	static map[string]*staticFile
}

// loadAssets reads the embedded files and, when dir is set, overlays the
// files of the same name found there (*.html templates at the top level,
// everything else a static file, at the top level or under static/).
func loadAssets(dir string) (*assets, error) {
	sub, err := fs.Sub(embedded, "templates")
	if err != nil {
		return nil, err
	}
	base, err := readSource(sub, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("embedded templates: %w", err)
	}
	over := &source{html: map[string][]byte{}, static: map[string]*staticFile{}}
	if dir != "" {
		root, err := os.OpenRoot(dir)
		if err != nil {
			return nil, fmt.Errorf("template directory: %w", err)
		}
		defer root.Close()
		if over, err = readSource(root.FS(), time.Now()); err != nil {
			return nil, fmt.Errorf("template directory %s: %w", dir, err)
		}
	}
	a := &assets{pages: map[string]*template.Template{}, static: base.static}
	for name, f := range over.static {
		a.static[name] = f
	}
	for _, n := range logoNames {
		if over.static[n] != nil {
			a.logo = n
			break
		}
	}
	if a.logo == "" && a.static["logo.svg"] != nil {
		a.logo = "logo.svg"
	}
	var errs []error
	for name := range over.html {
		if name != layoutFile && !slices.Contains(pageFiles, name) {
			errs = append(errs, fmt.Errorf("%s: unknown template (known: %s, %s)", name, layoutFile, strings.Join(pageFiles, ", ")))
		}
	}
	pick := func(name string) []byte {
		if b, ok := over.html[name]; ok {
			return b
		}
		return base.html[name]
	}
	for _, page := range pageFiles {
		t, err := template.New(page).Parse(string(pick(layoutFile)))
		if err == nil {
			_, err = t.Parse(string(pick(page)))
		}
		if err == nil {
			// Execute once with sample data, so that an override naming a
			// field that does not exist fails at start, not per request.
			err = t.ExecuteTemplate(&bytes.Buffer{}, "layout", sampleData())
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", page, err))
			continue
		}
		a.pages[page] = t
	}
	return a, errors.Join(errs...)
}

func readSource(fsys fs.FS, modTime time.Time) (*source, error) {
	s := &source{html: map[string][]byte{}, static: map[string]*staticFile{}}
	total := 0
	var errs []error
	add := func(dir string, onlyStatic bool) {
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			if dir != "." && errors.Is(err, fs.ErrNotExist) {
				return
			}
			errs = append(errs, err)
			return
		}
		for _, e := range entries {
			name := e.Name()
			if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
				continue // directories, editor backups, dotfiles
			}
			b, err := fs.ReadFile(fsys, path.Join(dir, name))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !onlyStatic && strings.HasSuffix(name, ".html") {
				s.html[name] = b
				continue
			}
			total += len(b)
			if len(b) > maxAssetSize || total > maxAssetsTotal {
				errs = append(errs, fmt.Errorf("%s: static files are limited to %d bytes each, %d in all", name, maxAssetSize, maxAssetsTotal))
				continue
			}
			s.static[name] = newStaticFile(name, b, modTime)
		}
	}
	add(".", false)
	add("static", true)
	return s, errors.Join(errs...)
}

func newStaticFile(name string, b []byte, modTime time.Time) *staticFile {
	sum := sha256.Sum256(b)
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = http.DetectContentType(b)
	}
	return &staticFile{data: b, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, modTime: modTime}
}
