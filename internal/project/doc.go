// Package project holds the checks that keep the project's descriptions of
// itself in agreement: provider.All, template.yaml, the Makefile and the
// functions/ folders. It has no code of its own; its tests are the checks.
package project
