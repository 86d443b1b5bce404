package ess_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ess"

	esstandby "ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/standby"
)

// BenchmarkStandbyCall compares one Standby call made the bare-SDK way (a
// new client, so a new transport and connection, per call) with the same
// call through this package (a client per call over one shared transport),
// over HTTP and over HTTPS, where the bare way pays a handshake per call.
// Calls enter and leave Standby in turn, so each has work to do.
func BenchmarkStandbyCall(b *testing.B) {
	for _, scheme := range []string{"http", "https"} {
		newServer := essemu.NewServer
		if scheme == "https" {
			newServer = essemu.NewTLSServer
		}
		emu := newServer([]essemu.Key{stsKey}, essemu.SampleFleet()...)
		endpoint, _ := url.Parse(emu.URL)
		var roots *x509.CertPool
		if scheme == "https" {
			roots = x509.NewCertPool()
			roots.AddCert(emu.Certificate())
		}
		ids := []string{"i-bp1ecr7go2go9kq3m1a"}
		b.Run(scheme+"/bare-sdk", func(b *testing.B) {
			emu.Reset()
			before := emu.NewConnections()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				// What a function written straight against the SDK does per invocation.
				config := sdk.NewConfig().WithScheme(strings.ToUpper(scheme)).WithHttpTransport(&http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}})
				client, err := ess.NewClientWithOptions(essemu.SampleRegion, config, credentials.NewStsTokenCredential(stsKey.ID, stsKey.Secret, stsKey.Token))
				if err != nil {
					b.Fatal(err)
				}
				client.Domain = endpoint.Host
				if i%2 == 0 {
					req := ess.CreateEnterStandbyRequest()
					req.ScalingGroupId, req.InstanceId = essemu.WebGroup, &ids
					_, err = client.EnterStandby(req)
				} else {
					req := ess.CreateExitStandbyRequest()
					req.ScalingGroupId, req.InstanceId = essemu.WebGroup, &ids
					_, err = client.ExitStandby(req)
				}
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(emu.NewConnections()-before)/float64(i), "conns/op")
		})
		b.Run(scheme+"/ess-standby", func(b *testing.B) {
			emu.Reset()
			client := esstandby.New(esstandby.Config{Endpoint: endpoint, TLS: &tls.Config{RootCAs: roots}})
			defer client.Close()
			before := emu.NewConnections()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				action := standby.EnterStandby
				if i%2 == 1 {
					action = standby.ExitStandby
				}
				if _, err := client.Standby(context.Background(), session(), standby.Call{Action: action, ScalingGroupID: essemu.WebGroup, InstanceIDs: ids}); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(emu.NewConnections()-before)/float64(i), "conns/op")
		})
		emu.Close()
	}
}
