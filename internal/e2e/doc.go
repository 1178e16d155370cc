// Package e2e holds the end-to-end tests of the built-in suite: every
// check proven both ways by the bundled client and its broken variants,
// verdicts that do not change between runs or with parallelism, and the
// check catalogue kept in step with the suite. It has no non-test code
// beyond this comment.
package e2e
