// SPDX-License-Identifier: GPL-3.0-or-later

// Package assets holds the files embedded in the binary: the pages the proxy
// serves itself, the application icon, the list catalogue and the curated
// default rules. It has no behaviour beyond exposing them.
package assets

import "embed"

// Pages are the HTML templates the proxy answers with (error, status, block).
//
//go:embed pages/*.html
var Pages embed.FS

// Icon is the application icon (PNG).
//
//go:embed icon.png
var Icon []byte

// Icons are monochrome SVG icons for the window (icons/NAME.svg), drawn in
// black so that the GUI can recolour them for the theme.
//
//go:embed icons/*.svg
var Icons embed.FS

// Lists holds the list catalogue (lists/catalogue.json: the well-known
// lists a user can subscribe to, with their URL, format, licence and
// category) and Polaris's own embedded lists: lists/polaris.txt (tracker
// rules in Adblock Plus syntax, in sections headed "! Category: NAME") and
// lists/polaris-entities.json (owners of domains, Disconnect entities
// format). No third-party list is ever embedded.
//
//go:embed lists/catalogue.json lists/polaris.txt lists/polaris-entities.json
var Lists embed.FS

// Surrogates are Polaris's own stand-in scripts (surrogates/NAME.js) that
// a blocked tracker script is answered with when a rule asks for one
// (EasyPrivacy's $redirect=, the Tracker Data Set's surrogates): they
// keep the page's own code working (calling its callbacks) and record
// nothing. The line "// names: a b c" of each file says which resource
// names it answers to.
//
//go:embed surrogates/*.js
var Surrogates embed.FS
