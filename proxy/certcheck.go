// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	utls "github.com/refraction-networking/utls"
)

// Upstream certificates. The TLS library verifies the chain (roots, names,
// dates, signatures); checkUpstreamChain is what Polaris adds, the one
// check every upstream TLS connection goes through — Go's TLS and uTLS (the
// browser's mirrored hello) alike, as their VerifyConnection: no RSA key
// shorter than MinRSABits in the chain the server presented. Browsers have
// refused them since 2014; a 1024-bit key can be broken by whoever can
// afford it.

// MinRSABits is the shortest RSA key accepted in an upstream certificate.
const MinRSABits = 2048

// weakKeyError refuses a certificate whose key is too short.
type weakKeyError struct {
	Cert *x509.Certificate
	Bits int
}

func (e *weakKeyError) Error() string {
	return fmt.Sprintf("x509: certificate for %s has a %d-bit RSA key (at least %d are needed)", certNames(e.Cert), e.Bits, MinRSABits)
}

// checkUpstreamChain checks the chains the TLS library verified (every
// certificate but the root each ends in: that one the user or the system
// chose to trust); one sound chain is enough. Without verified chains (a
// resumed session of a library that keeps none) it checks what the server
// sent.
func checkUpstreamChain(peer []*x509.Certificate, chains [][]*x509.Certificate) error {
	if len(chains) == 0 {
		return weakKey(peer)
	}
	var first error
	for _, chain := range chains {
		if len(chain) > 1 {
			chain = chain[:len(chain)-1]
		}
		err := weakKey(chain)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

func weakKey(certs []*x509.Certificate) error {
	for _, c := range certs {
		if pk, ok := c.PublicKey.(*rsa.PublicKey); ok && pk.N.BitLen() < MinRSABits {
			return &weakKeyError{Cert: c, Bits: pk.N.BitLen()}
		}
	}
	return nil
}

// verifyGo and verifyUTLS are checkUpstreamChain as each library's
// VerifyConnection.
func verifyGo(cs tls.ConnectionState) error {
	return checkUpstreamChain(cs.PeerCertificates, cs.VerifiedChains)
}

func verifyUTLS(cs utls.ConnectionState) error {
	return checkUpstreamChain(cs.PeerCertificates, cs.VerifiedChains)
}

// certWeakness says in words what makes the certificates behind err
// unacceptable whatever their issuer: a short RSA key, or a signature made
// with a broken hash (SHA-1, MD5), which the library reports as an unknown
// authority or a bad signature. "" when neither.
func certWeakness(err error) string {
	var weak *weakKeyError
	if errors.As(err, &weak) {
		return shortKeyWords(weak.Bits)
	}
	certs := certsOf(err)
	for _, c := range certs {
		switch c.SignatureAlgorithm {
		case x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1:
			return "its certificate is signed with SHA-1, a method that has been broken since 2017 and that browsers no longer accept"
		case x509.MD5WithRSA, x509.MD2WithRSA:
			return "its certificate is signed with MD5, a method broken long ago that browsers no longer accept"
		}
	}
	if err := weakKey(certs); err != nil {
		return shortKeyWords(err.(*weakKeyError).Bits)
	}
	return ""
}

func shortKeyWords(bits int) string {
	return fmt.Sprintf("its certificate has an RSA key of only %d bits, short enough to be broken (browsers require at least %d)", bits, MinRSABits)
}

// certsOf returns the certificates an error of the TLS libraries is about.
func certsOf(err error) []*x509.Certificate {
	var out []*x509.Certificate
	var cv *tls.CertificateVerificationError
	if errors.As(err, &cv) {
		out = append(out, cv.UnverifiedCertificates...)
	}
	var ucv *utls.CertificateVerificationError
	if errors.As(err, &ucv) {
		out = append(out, ucv.UnverifiedCertificates...)
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) && unknown.Cert != nil {
		out = append(out, unknown.Cert)
	}
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) && invalid.Cert != nil {
		out = append(out, invalid.Cert)
	}
	return out
}
