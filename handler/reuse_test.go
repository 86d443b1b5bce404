package handler_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/fctest"
	"ess-standby/handler/standby"
)

// 100 sequential invocations, each with fresh STS credentials, as FC gives
// them: one connection to Auto Scaling for all, and one TLS handshake.
func TestOneConnectionForManyInvocations(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%t", useTLS), func(t *testing.T) {
			g := essemu.Group{ID: "asg-bp1reuse0000000001", Region: essemu.SampleRegion}
			for i := range 100 {
				g.Instances = append(g.Instances, essemu.Instance{ID: fmt.Sprintf("i-bp1reuse%05d", i), LifecycleState: essemu.InService})
			}
			newServer := essemu.NewServer
			if useTLS {
				newServer = essemu.NewTLSServer
			}
			emu := newServer(nil, g)
			defer emu.Close()
			endpoint, _ := url.Parse(emu.URL)
			cfg := ess.Config{Endpoint: endpoint, ECSEndpoint: endpoint, ECIEndpoint: endpoint}
			if useTLS {
				roots := x509.NewCertPool()
				roots.AddCert(emu.Certificate())
				cfg.TLS = &tls.Config{RootCAs: roots}
			}
			client := ess.New(cfg)
			defer client.Close()
			h := handler.New(handler.Config{}, newService(standby.Config{}, client.Cloud()), slog.New(slog.NewJSONHandler(fctest.Logs(), nil)))
			for i := range 100 {
				k := essemu.Key{ID: "STS.fresh" + rand.Text()[:12], Secret: fctest.Secret(rand.Text()), Token: fctest.Secret("CAIS" + rand.Text())}
				emu.AddKey(k)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				out := h.Invoke(ctx, standby.Invocation{RequestID: fmt.Sprint("reuse-", i), Region: essemu.SampleRegion,
					Credentials: standby.Credentials{AccessKeyID: k.ID, AccessKeySecret: k.Secret, SecurityToken: k.Token}},
					bytes.NewReader(fmt.Appendf(nil, `{"InstanceIds":["i-bp1reuse%05d"]}`, i)))
				cancel()
				if out.Err != nil {
					t.Fatalf("invocation %d: %v", i, out.Err)
				}
			}
			if n := len(emu.Calls()); n != 300 { // a read, a call and its tags each
				t.Errorf("%d calls, want 300", n)
			}
			if n := emu.NewConnections(); n != 1 {
				t.Errorf("%d connections for 300 calls, want 1", n)
			}
			if n := emu.Handshakes(); useTLS && n != 1 {
				t.Errorf("%d TLS handshakes, want 1", n)
			}
		})
	}
}

// BenchmarkInvoke is one whole invocation through the handler, the real SDK
// and the emulator on loopback: a pre-check and a Standby call, entering and
// leaving Standby in turn so every invocation has work to do.
func BenchmarkInvoke(b *testing.B) {
	w := newQuietWorld(b, io.Discard, config{})
	inv := standby.Invocation{Region: essemu.SampleRegion, Credentials: creds}
	enter := []byte(`{"ScalingGroupId":"asg-bp1fo0dbtsbmqa9h5dl3","InstanceIds":["i-bp1ecr7go2go9kq3m1a"]}`)
	exit := []byte(`{"ScalingGroupId":"asg-bp1fo0dbtsbmqa9h5dl3","InstanceIds":["i-bp1ecr7go2go9kq3m1a"],"Action":"ExitStandby"}`)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		payload := enter
		if i%2 == 1 {
			payload = exit
		}
		i++
		inv.RequestID = fmt.Sprint("bench-", i)
		if out := w.h.Invoke(context.Background(), inv, bytes.NewReader(payload)); out.Err != nil {
			b.Fatal(out.Err)
		}
	}
	b.ReportMetric(float64(len(w.emu.Calls()))/float64(i), "calls/op")
}

// Nothing is kept per invocation: after a warm-up, 2000 more invocations
// leave the live heap where it was (the emulator forgets its calls each time).
func TestNothingKeptPerInvocation(t *testing.T) {
	w := newQuietWorld(t, io.Discard, config{})
	inv := standby.Invocation{Region: essemu.SampleRegion, Credentials: creds}
	invoke := func(n int) {
		for i := range n {
			w.emu.Reset()
			inv.RequestID = fmt.Sprint("heap-", i)
			if out := w.h.Invoke(context.Background(), inv, strings.NewReader(`{"InstanceIds":["i-bp1ecr7go2go9kq3m1a"]}`)); out.Err != nil {
				t.Fatal(out.Err)
			}
		}
	}
	live := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	invoke(200)
	before := live()
	invoke(2000)
	if after := live(); after > before+256<<10 {
		t.Errorf("live heap grew from %d to %d bytes over 2000 invocations: something is kept per invocation", before, after)
	}
}
