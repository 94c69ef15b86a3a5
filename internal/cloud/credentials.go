package cloud

import (
	"slices"
	"strings"
)

// PickCredentialSet returns the index of the one complete credential set a Secret
// provides. Each set lists the Secret keys it needs; present says which keys hold a
// value. It sees key names only, never values, so its errors can say what is missing
// or conflicting without ever quoting a secret.
func PickCredentialSet(present map[string]bool, sets ...[]string) (int, error) {
	var touched []int
	for i, set := range sets {
		if slices.ContainsFunc(set, func(k string) bool { return present[k] }) {
			touched = append(touched, i)
		}
	}
	switch len(touched) {
	case 0:
		return -1, CredentialsErrorf("no credentials: provide %s", describeSets(sets))
	case 1:
		var missing []string
		for _, k := range sets[touched[0]] {
			if !present[k] {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			return -1, CredentialsErrorf("incomplete credentials: missing %s", strings.Join(missing, ", "))
		}
		return touched[0], nil
	default:
		var given []string
		for _, i := range touched {
			for _, k := range sets[i] {
				if present[k] {
					given = append(given, k)
				}
			}
		}
		return -1, CredentialsErrorf("ambiguous credentials: %s belong to different methods; provide exactly one of %s",
			strings.Join(given, ", "), describeSets(sets))
	}
}

func describeSets(sets [][]string) string {
	names := make([]string, len(sets))
	for i, set := range sets {
		names[i] = strings.Join(set, "+")
	}
	return strings.Join(names, ", or ")
}
