package functest

import (
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webhookguard/webhookguard/internal/devkit/sample"
	"github.com/webhookguard/webhookguard/internal/testenv/lambdaemu"
	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/shared/apigw"
	"github.com/webhookguard/webhookguard/shared/provider"
)

// Endpoints puts moto_server behind two HTTPS endpoints, one standing for
// Secrets Manager and one for SQS, each a TLS-terminating reverse proxy
// that counts the connections opened to it. A function reaches them as it
// reaches AWS: over TLS, trusting their certificate through AWS_CA_BUNDLE.
type Endpoints struct {
	SecretsManager, SQS *Front
	// CAFile holds the certificate the endpoints present, in PEM.
	CAFile string
}

// Front is one TLS-terminating reverse proxy.
type Front struct {
	srv   *httptest.Server
	conns atomic.Int64
}

// URL is the front's https:// address.
func (f *Front) URL() string { return f.srv.URL }

// Conns returns how many connections were opened to the front so far.
func (f *Front) Conns() int64 { return f.conns.Load() }

// NewEndpoints starts the two fronts before moto, stopped when the test
// ends.
func NewEndpoints(t testing.TB, moto *mototest.Server) *Endpoints {
	t.Helper()
	target, err := url.Parse(moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	front := func() *Front {
		f := &Front{}
		f.srv = httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(target))
		f.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				f.conns.Add(1)
			}
		}
		f.srv.StartTLS()
		t.Cleanup(f.srv.Close)
		return f
	}
	e := &Endpoints{SecretsManager: front(), SQS: front(), CAFile: filepath.Join(t.TempDir(), "ca.pem")}
	// Every httptest server presents the same certificate.
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.SQS.srv.Certificate().Raw})
	if err := os.WriteFile(e.CAFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// Env is the environment of a function using secretID and queueURL through
// the endpoints.
func (e *Endpoints) Env(secretID, queueURL string) []string {
	return []string{
		"SECRET_ID=" + secretID, "QUEUE_URL=" + queueURL,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + e.SecretsManager.URL(), "AWS_ENDPOINT_URL_SQS=" + e.SQS.URL(),
		"AWS_CA_BUNDLE=" + e.CAFile, "AWS_REGION=" + mototest.Region,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
	}
}

// Cold is what one cold start cost.
type Cold struct {
	// InitCPU is the CPU time (user and system) of the process when it
	// asked for its first invocation; FirstCPU is what it used from then
	// until it asked for the next one, having answered the first. Zero
	// where CPU time is not measured (outside Linux).
	InitCPU, FirstCPU time.Duration
	// Init and FirstResponse are wall times from the process start.
	Init, FirstResponse time.Duration
	// SecretsConns and SQSConns count the connections opened to each
	// service; InitSecretsConns and InitSQSConns those opened by the init.
	SecretsConns, SQSConns         int64
	InitSecretsConns, InitSQSConns int64
	// PeakRSSKiB is the process's largest resident memory.
	PeakRSSKiB int64
	// Status is the first response's HTTP status.
	Status int
}

// RunCold starts the function binary bin with env behind e, hands it event
// and returns what its cold start cost.
func RunCold(t testing.TB, bin string, e *Endpoints, env []string, event []byte) Cold {
	t.Helper()
	sm0, sqs0 := e.SecretsManager.Conns(), e.SQS.Conns()
	rt := lambdaemu.Start(t, bin, env...)
	init, err := rt.Checkpoint(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	initSM, initSQS := e.SecretsManager.Conns()-sm0, e.SQS.Conns()-sqs0
	res, err := rt.Invoke(event, 10*time.Second)
	if err != nil || res.Err {
		t.Fatalf("invoke: %v %s\n%s", err, res.Payload, rt.Output())
	}
	after, err := rt.Checkpoint(2, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rt.Stop()
	var resp apigw.Response
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		t.Fatalf("response %s: %v", res.Payload, err)
	}
	return Cold{
		InitCPU: init.CPU, FirstCPU: after.CPU - init.CPU,
		Init: init.Elapsed, FirstResponse: after.Elapsed,
		SecretsConns: e.SecretsManager.Conns() - sm0, SQSConns: e.SQS.Conns() - sqs0,
		InitSecretsConns: initSM, InitSQSConns: initSQS,
		PeakRSSKiB: rt.MaxRSSKiB(), Status: resp.StatusCode,
	}
}

// ColdStartSecret is the signing key the cold-start checks use.
const ColdStartSecret = "Curr-s1gning-value"

// ColdStartEvent returns an event of p signed with ColdStartSecret.
func ColdStartEvent(t testing.TB, p provider.Provider) []byte {
	t.Helper()
	ev, err := sample.Spec{Provider: p, Secret: []byte(ColdStartSecret), URL: "https://abc123.execute-api.us-east-1.amazonaws.com/" + p.Name,
		ContentType: p.Sample.ContentType, Body: p.Sample.Body}.Event()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// ColdStartSetup creates, on moto, the secret (a previous and a current
// value, as after a rotation) and the queue the cold-start checks use, and
// returns the environment of a function using them behind e.
func ColdStartSetup(t testing.TB, moto *mototest.Server, e *Endpoints, name string) []string {
	t.Helper()
	moto.CreateSecret(t, name, "Pr3v-s1gning-value")
	moto.PutSecret(t, name, ColdStartSecret)
	return e.Env(name, moto.CreateQueue(t, name))
}

// ColdBench measures cold starts of functions against the floor (a
// function doing the least this design needs: one key read, one HMAC, one
// SendMessage), over TLS.
type ColdBench struct {
	top      *testing.B // owns the built binaries
	e        *Endpoints
	env      []string
	floorBin string
	floorEv  []byte
	bins     map[string]string
}

// NewColdBench builds the floor from floorDir and prepares the secret, the
// queue and the endpoints the cold starts use. Call it from the top-level
// benchmark, which runs once, and Run from its sub-benchmarks.
func NewColdBench(b *testing.B, floorDir string) *ColdBench {
	moto := mototest.Shared(b)
	e := NewEndpoints(b, moto)
	return &ColdBench{top: b, e: e, env: ColdStartSetup(b, moto, e, "coldstart"), floorBin: lambdaemu.Build(b, floorDir),
		floorEv: ColdStartEvent(b, provider.Webex), bins: map[string]string{}}
}

// Run measures the function built from fnDir, serving p. Each iteration
// starts the floor and then the function, so both see the same machine
// load. It reports, as medians: the function's init CPU, first request CPU
// and their sum, the floor's, the ratios of the sums and of the first
// requests, the connections opened to each service, wall times, and peak
// memory.
func (cb *ColdBench) Run(b *testing.B, p provider.Provider, fnDir string) {
	fnBin, ok := cb.bins[fnDir]
	if !ok {
		fnBin = lambdaemu.Build(cb.top, fnDir)
		cb.bins[fnDir] = fnBin
	}
	fnEvent, floorEvent, e, env, floorBin := ColdStartEvent(b, p), cb.floorEv, cb.e, cb.env, cb.floorBin
	var fn, floor []Cold
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fl := RunCold(b, floorBin, e, env, floorEvent)
		f := RunCold(b, fnBin, e, env, fnEvent)
		if f.Status != 200 || fl.Status != 200 {
			b.Fatalf("first response: function %d, floor %d; want 200", f.Status, fl.Status)
		}
		fn, floor = append(fn, f), append(floor, fl)
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	med := func(cs []Cold, v func(Cold) time.Duration) time.Duration {
		vs := make([]time.Duration, len(cs))
		for i, c := range cs {
			vs[i] = v(c)
		}
		slices.Sort(vs)
		return vs[len(vs)/2]
	}
	initCPU := func(c Cold) time.Duration { return c.InitCPU }
	firstCPU := func(c Cold) time.Duration { return c.FirstCPU }
	coldCPU := func(c Cold) time.Duration { return c.InitCPU + c.FirstCPU }
	b.ReportMetric(ms(med(fn, initCPU)), "init-cpu-ms")
	b.ReportMetric(ms(med(fn, firstCPU)), "first-cpu-ms")
	b.ReportMetric(ms(med(fn, coldCPU)), "cold-cpu-ms")
	b.ReportMetric(ms(med(floor, initCPU)), "floor-init-cpu-ms")
	b.ReportMetric(ms(med(floor, firstCPU)), "floor-first-cpu-ms")
	b.ReportMetric(ms(med(floor, coldCPU)), "floor-cold-cpu-ms")
	// Ratios of each function's start to the floor's started just before
	// it, so that both saw the same load on the machine; their median.
	ratio := func(v func(Cold) time.Duration) float64 {
		rs := make([]float64, len(fn))
		for i := range fn {
			rs[i] = float64(v(fn[i])) / float64(max(v(floor[i]), 1))
		}
		slices.Sort(rs)
		return rs[len(rs)/2]
	}
	b.ReportMetric(ratio(coldCPU), "cold-cpu-x-floor")
	b.ReportMetric(ratio(firstCPU), "first-cpu-x-floor")
	var maxConns = func(cs []Cold, v func(Cold) int64) float64 {
		m := int64(0)
		for _, c := range cs {
			m = max(m, v(c))
		}
		return float64(m)
	}
	b.ReportMetric(maxConns(fn, func(c Cold) int64 { return c.SecretsConns }), "sm-conns")
	b.ReportMetric(maxConns(fn, func(c Cold) int64 { return c.SQSConns }), "sqs-conns")
	b.ReportMetric(maxConns(floor, func(c Cold) int64 { return c.SecretsConns }), "floor-sm-conns")
	b.ReportMetric(maxConns(floor, func(c Cold) int64 { return c.SQSConns }), "floor-sqs-conns")
	b.ReportMetric(ms(med(fn, func(c Cold) time.Duration { return c.Init })), "init-ms")
	b.ReportMetric(ms(med(fn, func(c Cold) time.Duration { return c.FirstResponse })), "first-response-ms")
	b.ReportMetric(float64(slices.MaxFunc(fn, func(a, b Cold) int { return int(a.PeakRSSKiB - b.PeakRSSKiB) }).PeakRSSKiB)/1024, "peak-rss-MiB")
	b.ReportMetric(0, "ns/op")
}
