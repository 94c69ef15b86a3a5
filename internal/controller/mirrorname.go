package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

const (
	maxNameLength = 253 // DNS-1123 subdomain
	hashLength    = 16  // hex digits: 64 bits
	// hashSeparator sets the hash apart. sanitize never leaves "--" in a part, so no
	// unaltered id can end in what looks like a hash.
	hashSeparator = "--"
)

// MirrorName derives the stable name of a mirror from its account and the remote
// key parts (the id, preceded by the environment for connect clusters).
//
// The name is account + "." + parts joined by ".". Parts are sanitized to DNS-1123
// label characters, which never include ".", and each kind has a fixed number of parts,
// so splitting from the right recovers the account: no two (account, parts) pairs of
// one kind can meet on one name. A part that had to be altered, or a name that had to
// be shortened, gets "--" and a hash of the unaltered input, so two ids that sanitize
// alike still get different names, and no unaltered id can take a hashed name.
func MirrorName(account string, parts ...string) string {
	clean := make([]string, len(parts))
	altered := false
	for i, p := range parts {
		clean[i] = sanitize(p)
		if clean[i] != p {
			altered = true
		}
	}
	name := account + "." + strings.Join(clean, ".")
	if !altered && len(name) <= maxNameLength {
		return name
	}
	sum := sha256.Sum256([]byte(account + "\x00" + strings.Join(parts, "\x00")))
	suffix := hashSeparator + hex.EncodeToString(sum[:])[:hashLength]
	if room := maxNameLength - len(suffix); len(name) > room {
		name = strings.TrimRight(name[:room], "-.")
	}
	return name + suffix
}

// sanitize lowercases and replaces every character outside [a-z0-9-] with "-",
// collapsing runs and trimming the ends, as a DNS-1123 label wants.
func sanitize(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if out == "" {
		return "x"
	}
	return out
}
