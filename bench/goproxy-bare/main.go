// SPDX-License-Identifier: GPL-3.0-or-later

// Command goproxy-bare is the baseline for bench/proxy.sh: a plain goproxy
// forwarder that adds DNT/Sec-GPC and nothing else, so that Polaris's own
// cost per request can be told apart from goproxy's.
package main

import (
	"flag"
	"log"
	"net/http"

	"github.com/elazarl/goproxy"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:28229", "listen address")
	flag.Parse()
	p := goproxy.NewProxyHttpServer()
	p.KeepAcceptEncoding = true
	p.Tr = &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 128, DisableCompression: true}
	p.OnRequest().DoFunc(func(r *http.Request, _ *goproxy.ProxyCtx) (*http.Request, *http.Response) {
		r.Header.Set("Dnt", "1")
		r.Header.Set("Sec-Gpc", "1")
		return r, nil
	})
	log.Fatal(http.ListenAndServe(*addr, p))
}
