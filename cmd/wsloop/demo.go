package main

import _ "embed"

// demoPage is the page served at /: a chat over /chat and an echo tester.
//
//go:embed demo.html
var demoPage string
