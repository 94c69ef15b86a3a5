package controller

import (
	"maps"
	"testing"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

func cachedOrganization(details map[string]string) *v1alpha1.Organization {
	o := &v1alpha1.Organization{Status: v1alpha1.OrganizationStatus{Details: maps.Clone(details)}}
	keepDetailsDigest(o)
	return o
}

// The digest must see every change a patch would make, and nothing else.
func TestDetailsDigestSeesEveryChange(t *testing.T) {
	base := map[string]string{"location": "West US", "resourceGroup": "orgsync-rg-1", "organizationID": "d9c2a7f0"}
	cached := cachedOrganization(base)
	if cached.Status.Details != nil {
		t.Fatal("the cached copy keeps its details map")
	}
	changed := map[string]map[string]string{
		"a value":                 {"location": "East US", "resourceGroup": "orgsync-rg-1", "organizationID": "d9c2a7f0"},
		"a key added":             {"location": "West US", "resourceGroup": "orgsync-rg-1", "organizationID": "d9c2a7f0", "tag.team": "payments"},
		"a key removed":           {"location": "West US", "resourceGroup": "orgsync-rg-1"},
		"two values swapped":      {"location": "orgsync-rg-1", "resourceGroup": "West US", "organizationID": "d9c2a7f0"},
		"a key renamed":           {"region": "West US", "resourceGroup": "orgsync-rg-1", "organizationID": "d9c2a7f0"},
		"all removed":             nil,
		"a key and value swapped": {"West US": "location", "resourceGroup": "orgsync-rg-1", "organizationID": "d9c2a7f0"},
	}
	for what, details := range changed {
		desired := &v1alpha1.Organization{Status: v1alpha1.OrganizationStatus{Details: details}}
		if detailsEqual(cached, desired) || detailsEqual(desired, cached) {
			t.Errorf("%s: the digest does not see it", what)
		}
		if detailsEqual(cached, cachedOrganization(details)) {
			t.Errorf("%s: two cached copies' digests do not see it", what)
		}
	}
	same := &v1alpha1.Organization{Status: v1alpha1.OrganizationStatus{Details: maps.Clone(base)}}
	if !detailsEqual(cached, same) || !detailsEqual(cached, cachedOrganization(base)) {
		t.Error("equal details compare unequal")
	}
	if !detailsEqual(cachedOrganization(nil), &v1alpha1.Organization{Status: v1alpha1.OrganizationStatus{Details: map[string]string{}}}) {
		t.Error("no details and empty details compare unequal")
	}
}

// A sync compares every organization: comparing a digest to a map allocates nothing.
func TestDetailsCompareAllocatesNothing(t *testing.T) {
	details := map[string]string{"ssoKind": "AzureSSOConfig", "ssoTenantID": "0c5b7d2e-8d6a-4c57-9f0e-6f1c9c0b1a77"}
	cached, desired := cachedOrganization(details), &v1alpha1.Organization{Status: v1alpha1.OrganizationStatus{Details: details}}
	if n := testing.AllocsPerRun(100, func() { detailsEqual(cached, desired) }); n != 0 {
		t.Errorf("%v allocations a comparison", n)
	}
}

// From a cached copy, unchanged details stay out of the status patch; changed ones
// send the writer to the stored mirror, whose keys the patch can then remove.
func TestStatusForACachedOrganization(t *testing.T) {
	for i := range 10 {
		wire, desired := storedMirror(t, i)
		org, ok := desired.(*v1alpha1.Organization)
		if !ok {
			continue
		}
		obj, err := leanMirrors(newInterner())(decode(t, decoder(t), wire))
		if err != nil {
			t.Fatal(err)
		}
		cached := obj.(*v1alpha1.Organization)

		renamed := org.DeepCopy()
		renamed.Status.DisplayName += " (renamed)"
		want, changed := statusFor(cached, renamed)
		if !changed || want.(*v1alpha1.Organization).Status.Details != nil || detailsChangedPastDigest(cached, want) {
			t.Errorf("mirror %d: a rename writes the details too, or is not written", i)
		}

		dropped := org.DeepCopy()
		dropped.Status.Details = nil
		want, changed = statusFor(cached, dropped)
		if !changed || !detailsChangedPastDigest(cached, want) {
			t.Errorf("mirror %d: details the item lost are not written from the stored mirror", i)
		}

		moved := org.DeepCopy()
		delete(moved.Status.Details, firstKey(moved.Status.Details))
		want, changed = statusFor(cached, moved)
		if !changed || !detailsChangedPastDigest(cached, want) {
			t.Errorf("mirror %d: a removed detail is not written from the stored mirror", i)
		}
	}
}

func firstKey(m map[string]string) string {
	for k := range m {
		return k
	}
	return ""
}
