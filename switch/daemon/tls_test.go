package daemon_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/authswitch/authswitch/spec"
)

// pki is a throwaway CA with a server and a client certificate.
type pki struct {
	caPEM                []byte
	server, client       tls.Certificate
	serverCert, serverKy string // files
	caFile               string
}

func newPKI(t *testing.T, dir string) *pki {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test network CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage) (tls.Certificate, []byte, []byte) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
			KeyUsage: x509.KeyUsageDigitalSignature,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := x509.MarshalECPrivateKey(key)
		certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
		c, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return c, certPEM, keyPEM
	}
	p := &pki{caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}
	var certPEM, keyPEM []byte
	p.server, certPEM, keyPEM = issue(2, "switch", x509.ExtKeyUsageServerAuth)
	p.client, _, _ = issue(3, "visa", x509.ExtKeyUsageClientAuth)
	p.serverCert, p.serverKy, p.caFile = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key"), filepath.Join(dir, "ca.pem")
	for f, b := range map[string][]byte{p.serverCert: certPEM, p.serverKy: keyPEM, p.caFile: p.caPEM} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// TestMutualTLS: with tls.client_ca set, a network presenting a
// certificate from that CA is served; one without a certificate is not.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t, dir)
	cfg := testConfig(t, dir)
	cfg.Visa.TLS.Cert, cfg.Visa.TLS.Key, cfg.Visa.TLS.ClientCA = p.serverCert, p.serverKy, p.caFile
	d := startSwitch(t, cfg)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(p.caPEM)

	conn, err := tls.Dial("tcp", d.Addr(spec.Visa).String(), &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{p.client}})
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, n: spec.Visa, conn: conn, waiting: map[string]chan *answer{}, other: make(chan []byte, 64), done: make(chan struct{})}
	go c.readLoop()
	t.Cleanup(func() { conn.Close(); <-c.done })
	if a := c.do(balanceInquiry(spec.Visa, visaPAN)); a.ResponseCode != "00" {
		t.Fatalf("over mutual TLS: %s", a.ResponseCode)
	}

	anon, err := tls.Dial("tcp", d.Addr(spec.Visa).String(), &tls.Config{RootCAs: roots})
	if err == nil {
		// TLS 1.3 reports the missing client certificate on first read.
		_ = anon.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = anon.Read(make([]byte, 1))
		anon.Close()
	}
	if err == nil {
		t.Fatal("a client without a certificate was served")
	}
}
