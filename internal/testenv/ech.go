// SPDX-License-Identifier: GPL-3.0-or-later

package testenv

import (
	"crypto/ecdh"
	"crypto/rand"
	"testing"
)

// ECHConfig makes an Encrypted Client Hello configuration (RFC 9849 §4:
// version 0xfe0d, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 with AES-128-GCM)
// whose outer name is publicName, its private key (for
// tls.EncryptedClientHelloKey), and the ECHConfigList a site publishes in
// its HTTPS record.
func ECHConfig(t testing.TB, publicName string) (config, key, list []byte) {
	t.Helper()
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub := k.PublicKey().Bytes()
	c := []byte{7, 0x00, 0x20} // config_id, kem_id
	c = append(c, byte(len(pub)>>8), byte(len(pub)))
	c = append(c, pub...)
	c = append(c, 0, 4, 0x00, 0x01, 0x00, 0x01) // cipher_suites
	c = append(c, 64, byte(len(publicName)))    // maximum_name_length, public_name
	c = append(c, publicName...)
	c = append(c, 0, 0) // extensions
	config = append([]byte{0xfe, 0x0d, byte(len(c) >> 8), byte(len(c))}, c...)
	list = append([]byte{byte(len(config) >> 8), byte(len(config))}, config...)
	return config, k.Bytes(), list
}
