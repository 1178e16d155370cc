// Package record holds what the stub servers record of each request they
// answer. Servers write these types; the engine collects them into a case's
// observations, and the scenario language reads them as views.
//
// It is a leaf package: it imports nothing of wifdsl, so a server, the
// engine and the language can share one vocabulary without depending on
// one another.
package record
