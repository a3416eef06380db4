package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/emulator/emutest"
	"github.com/idpsync/idpsync/internal/testenv"
)

// These tests open the HTML report in real Chromium from file:// with the network cut off, and
// drive it through the Chrome DevTools Protocol over --remote-debugging-pipe (fd 3 in, fd 4 out,
// NUL-terminated JSON messages), which needs no WebSocket client.

type cdpMsg struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

type browser struct {
	t       *testing.T
	cmd     *exec.Cmd
	in      *os.File
	mu      sync.Mutex
	nextID  int
	pending map[int]chan cdpMsg
	session string

	requests []string // every URL the page asked for
	dialogs  []string // alert/confirm/prompt messages: script ran
	errors   []string // exceptions and console/log errors (CSP violations land here)
	proxied  []string // the request lines the proxy saw
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	chromiumPath := testenv.Chromium(t)
	// A loopback "proxy" that every request goes to; it must see nothing from the page.
	b := &browser{t: t, pending: map[int]chan cdpMsg{}}
	// Each connection on its own, with a deadline that is only a safety net: read one at a time
	// with 2 s each, a connection Chromium had not yet written to on a loaded machine was
	// recorded as "" (a request that reached the network) and kept the next one, the
	// tripwire's perhaps, waiting.
	proxy := emutest.EachConn(t, func(c net.Conn) {
		c.SetReadDeadline(time.Now().Add(pageWait))
		line, _ := bufio.NewReader(c).ReadString('\n')
		b.mu.Lock()
		b.proxied = append(b.proxied, strings.TrimSpace(line))
		b.mu.Unlock()
	})

	cmdIn, toChrome, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromChrome, cmdOut, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, chromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
		"--user-data-dir="+t.TempDir(), "--no-first-run", "--no-default-browser-check",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--metrics-recording-only", "--mute-audio",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--proxy-server=http://"+proxy, "--proxy-bypass-list=<-loopback>",
		"about:blank")
	cmd.ExtraFiles = []*os.File{cmdIn, cmdOut}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmdIn.Close()
	cmdOut.Close()
	b.cmd, b.in = cmd, toChrome
	t.Cleanup(func() {
		toChrome.Close()
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("chromium stderr:\n%s", stderr.String())
		}
	})
	go b.readLoop(bufio.NewReaderSize(fromChrome, 1<<20))

	var targets struct {
		TargetInfos []struct{ TargetID, Type string } `json:"targetInfos"`
	}
	b.call("", "Target.getTargets", nil, &targets)
	var page string
	for _, ti := range targets.TargetInfos {
		if ti.Type == "page" {
			page = ti.TargetID
		}
	}
	if page == "" {
		t.Fatal("no page target")
	}
	var att struct{ SessionID string }
	b.call("", "Target.attachToTarget", map[string]any{"targetId": page, "flatten": true}, &att)
	b.session = att.SessionID
	for _, m := range []string{"Page.enable", "Runtime.enable", "Network.enable", "Log.enable"} {
		b.call(b.session, m, nil, nil)
	}
	return b
}

func (b *browser) readLoop(r *bufio.Reader) {
	for {
		line, err := r.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var m cdpMsg
		if json.Unmarshal(line[:len(line)-1], &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch := b.pending[m.ID]; ch != nil {
				ch <- m
				delete(b.pending, m.ID)
			}
			b.mu.Unlock()
			continue
		}
		b.event(m)
		b.mu.Unlock()
	}
}

// event records what the page does; called with b.mu held.
func (b *browser) event(m cdpMsg) {
	switch m.Method {
	case "Network.requestWillBeSent":
		var p struct{ Request struct{ URL string } }
		json.Unmarshal(m.Params, &p)
		b.requests = append(b.requests, p.Request.URL)
	case "Page.javascriptDialogOpening":
		var p struct{ Message string }
		json.Unmarshal(m.Params, &p)
		b.dialogs = append(b.dialogs, p.Message)
		go b.send(m.SessionID, "Page.handleJavaScriptDialog", map[string]any{"accept": false})
	case "Runtime.exceptionThrown":
		b.errors = append(b.errors, "exception: "+string(m.Params))
	case "Runtime.consoleAPICalled":
		var p struct{ Type string }
		json.Unmarshal(m.Params, &p)
		if p.Type == "error" || p.Type == "warning" {
			b.errors = append(b.errors, "console: "+string(m.Params))
		}
	case "Log.entryAdded":
		var p struct {
			Entry struct{ Level, Source, Text string }
		}
		json.Unmarshal(m.Params, &p)
		if p.Entry.Level == "error" || p.Entry.Level == "warning" {
			b.errors = append(b.errors, "log: "+p.Entry.Source+": "+p.Entry.Text)
		}
	}
}

func (b *browser) send(session, method string, params any) (chan cdpMsg, error) {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpMsg, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	raw, _ := json.Marshal(msg)
	_, err := b.in.Write(append(raw, 0))
	return ch, err
}

func (b *browser) call(session, method string, params, out any) {
	b.t.Helper()
	ch, err := b.send(session, method, params)
	if err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			b.t.Fatalf("%s: chromium went away", method)
		}
		if m.Error != nil {
			b.t.Fatalf("%s: %s", method, m.Error.Message)
		}
		if out != nil {
			if err := json.Unmarshal(m.Result, out); err != nil {
				b.t.Fatalf("%s: %v", method, err)
			}
		}
	case <-time.After(60 * time.Second):
		b.t.Fatalf("%s: no answer from chromium", method)
	}
}

// eval runs expr in the page and decodes its JSON-able value into out.
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails json.RawMessage `json:"exceptionDetails"`
	}
	b.call(b.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res)
	if res.ExceptionDetails != nil {
		b.t.Fatalf("eval %q: %s", expr, res.ExceptionDetails)
	}
	if out != nil {
		if err := json.Unmarshal(res.Result.Value, out); err != nil {
			b.t.Fatalf("eval %q = %s: %v", expr, res.Result.Value, err)
		}
	}
}

// pageWait bounds every wait for the page (a load, a filter's redraw, the tripwire's request):
// a safety net that fails a page that never gets there, never a verdict on its speed. They
// return as soon as the page is there (well under a second here); 5 and 10 s bounds were a
// few hundred times that, yet a loaded CI machine running e2e's Chromium beside this one can
// stall a renderer for seconds.
const pageWait = 60 * time.Second

// waitFor polls a boolean expression.
func (b *browser) waitFor(expr string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		b.eval("!!("+expr+")", &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var state string
			b.eval("document.body ? String(document.body.getAttribute('data-state')) + ' rows=' + document.body.getAttribute('data-rows') : 'no body'", &state)
			b.t.Fatalf("timed out waiting for %s (page: %s; errors: %q)", expr, state, b.errors)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *browser) open(url string, timeout time.Duration) {
	b.t.Helper()
	b.call(b.session, "Page.navigate", map[string]any{"url": url}, nil)
	b.waitFor(`document.readyState === 'complete' && document.body && document.body.getAttribute('data-state') === 'ready'`, timeout)
}

func (b *browser) rows() int {
	var n int
	b.eval(`Number(document.body.getAttribute('data-rows'))`, &n)
	return n
}

// checkClean fails on any dialog, error, or request other than the report file itself.
func (b *browser) checkClean(file string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.dialogs) > 0 {
		b.t.Errorf("script from the data ran: dialogs %q", b.dialogs)
	}
	if len(b.errors) > 0 {
		b.t.Errorf("page errors: %q", b.errors)
	}
	for _, u := range b.requests {
		if !strings.HasPrefix(u, "file://"+file) {
			b.t.Errorf("the page requested %s", u)
		}
	}
	for _, line := range b.proxied {
		if !browserOwn(line) {
			b.t.Errorf("a request reached the network: %q", line)
		}
	}
}

// browserOwn tells Chromium's own background traffic (network time, component updates, account
// checks), which starts with the browser whatever the page does, from a request of the page.
func browserOwn(requestLine string) bool {
	f := strings.Fields(requestLine)
	if len(f) < 2 {
		return false
	}
	host := f[1]
	if u, err := url.Parse(host); err == nil && u.Host != "" {
		host = u.Host
	}
	host = strings.Split(host, ":")[0]
	for _, own := range []string{".google.com", ".googleapis.com", ".gstatic.com"} {
		if strings.HasSuffix(host, own) {
			return true
		}
	}
	return false
}

func (b *browser) sawProxied(host string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, line := range b.proxied {
		if strings.Contains(line, host) {
			return true
		}
	}
	return false
}

func writeHTMLFile(t *testing.T, dir string, r *Report) string {
	t.Helper()
	path := filepath.Join(dir, "report.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := WriteHTML(f, r, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHTMLInChromium(t *testing.T) {
	b := startBrowser(t)
	path := writeHTMLFile(t, t.TempDir(), sampleReport())
	url := "file://" + path
	b.open(url, pageWait)

	// It renders: summary, chart, every operation row.
	var page struct {
		Title, Text     string
		Rects, Imgs     int
		RowEls, OnError int
		Count           string
	}
	b.eval(`({Title: document.title, Text: document.body.innerText, Rects: document.querySelectorAll('svg rect').length,
		Imgs: document.querySelectorAll('img').length, RowEls: document.querySelectorAll('.viewport .row').length,
		OnError: document.querySelectorAll('[onerror]').length, Count: document.getElementById('count').textContent})`, &page)
	for _, want := range []string{"Contoso Ltd", "contoso.com, fabrikam.com", "admin@contoso.com", "Changes by type and result",
		"Zoë Ångström", evilName, "Left out of scope (2)", "throttled 3 times"} {
		if !strings.Contains(page.Text, want) {
			t.Errorf("page text lacks %q", want)
		}
	}
	if page.Title != "Sync report — Contoso Ltd" || page.Rects != 6 || page.RowEls != 6 || page.Count != "Showing 6 of 6 operations" {
		t.Errorf("page %+v", page)
	}
	// Script-bearing names are text: no element was made from them.
	if page.Imgs != 0 || page.OnError != 0 {
		t.Errorf("markup from the data was parsed: %d img, %d onerror", page.Imgs, page.OnError)
	}

	// Details of one object: changes and result, hostile strings as text.
	b.eval(`document.querySelector('.row[data-index="2"]').click()`, nil)
	var detail struct{ Name, Text string }
	b.eval(`({Name: document.querySelector('#detail h2').textContent, Text: document.getElementById('detail').innerText})`, &detail)
	if detail.Name != evilName || !strings.Contains(detail.Text, "<b>New</b>") || !strings.Contains(detail.Text, "atlassian_rejected") {
		t.Errorf("detail %+v", detail)
	}
	b.eval(`document.querySelector('.row[data-index="3"]').click()`, nil)
	b.eval(`document.getElementById('detail').innerText`, &detail.Text)
	if !strings.Contains(detail.Text, "Membership chain") || !strings.Contains(detail.Text, "Engineering\n›\nPlatform") &&
		!strings.Contains(detail.Text, "Engineering › Platform") {
		t.Errorf("chain detail: %q", detail.Text)
	}

	// Filtering through the fragment, on load and on change, and through the search box.
	b.open(url+"#q=mallory", pageWait)
	if n := b.rows(); n != 1 {
		t.Errorf("#q=mallory: %d rows", n)
	}
	b.eval(`location.hash = '#result=succeeded&action=add_member'`, nil)
	b.waitFor(`document.body.getAttribute('data-rows') === '1'`, pageWait)
	b.eval(`location.hash = '#tab=skips&q=unverified'`, nil)
	b.waitFor(`document.body.getAttribute('data-rows') === '1' && document.getElementById('count').textContent.indexOf('left out') > 0`, pageWait)
	b.eval(`location.hash = ''`, nil)
	b.waitFor(`document.body.getAttribute('data-rows') === '6'`, pageWait)
	b.eval(`(function(){var s=document.getElementById('search'); s.value='</script><img'; s.dispatchEvent(new Event('input'));})()`, nil)
	b.waitFor(`document.body.getAttribute('data-rows') === '1' && location.hash.indexOf('q=') > 0`, pageWait)

	// Dark mode follows the system setting.
	var light, dark string
	b.eval(`getComputedStyle(document.body).backgroundColor`, &light)
	b.call(b.session, "Emulation.setEmulatedMedia", map[string]any{"features": []map[string]string{{"name": "prefers-color-scheme", "value": "dark"}}}, nil)
	b.eval(`getComputedStyle(document.body).backgroundColor`, &dark)
	if light == dark || dark != "rgb(22, 26, 29)" {
		t.Errorf("dark mode: light %s dark %s", light, dark)
	}
	b.checkClean(path)

	// The tripwire works: a page that does reach for the network is seen.
	b.send(b.session, "Page.navigate", map[string]any{"url": "http://tripwire.example/"})
	deadline := time.Now().Add(pageWait)
	for !b.sawProxied("tripwire.example") {
		if time.Now().After(deadline) {
			t.Fatal("a request to the network was not seen: the no-request checks above prove nothing")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A long list is windowed: a few dozen row elements however many rows, the last drawn when
// scrolled to, a search over all of them. 2,520 rows (80,640 px of list) are as long as this can
// show: the viewer draws a viewport's worth (~18) and the rest would be elements if it did not;
// the scaled scrollbar starts only past 468,750 rows (MAX_PX), which 100,000 did not reach either.
// At 100,000 rows this took 9 s under -race, most of it generating and loading the data.
func TestHTMLInChromiumVirtualizesLongLists(t *testing.T) {
	r := genInMemory(t, 500, 2000, 20)
	r.Counts = TallyCounts(r.Operations)
	total := len(r.Operations)
	path := writeHTMLFile(t, t.TempDir(), r)
	b := startBrowser(t)
	start := time.Now()
	b.open("file://"+path, pageWait)
	t.Logf("%d operations: page ready in %s", total, time.Since(start).Round(time.Millisecond))
	if n := b.rows(); n != total {
		t.Fatalf("rows %d, want %d", n, total)
	}
	var rowEls int
	b.eval(`document.querySelectorAll('.viewport .row').length`, &rowEls)
	if rowEls == 0 || rowEls > 40 {
		t.Fatalf("%d row elements for %d rows: not windowed", rowEls, total)
	}
	// Scroll to the end: the last operation is drawn.
	b.eval(`(function(){var v=document.getElementById('viewport'); v.scrollTop = v.scrollHeight; v.dispatchEvent(new Event('scroll'));})()`, nil)
	last := fmt.Sprint(total - 1)
	b.waitFor(`document.querySelector('.row[data-index="`+last+`"]') !== null`, pageWait)
	// Search across all rows.
	b.eval(`location.hash = '#q=user000499@'`, nil)
	b.waitFor(`document.body.getAttribute('data-rows') === '5'`, pageWait)
	b.checkClean(path)
}
