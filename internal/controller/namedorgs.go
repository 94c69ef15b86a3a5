package controller

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
)

// namedLister reads named organizations one Get at a time, as pages of one item (or
// none, for an organization that is not there). The cursor is the index of the next
// name, so a listing paused by a rate limit resumes at the refused Get.
type namedLister struct {
	getter cloud.OrganizationGetter
	refs   []cloud.OrganizationRef
}

func namedOrganizations(getter cloud.OrganizationGetter, named []v1alpha1.AzureOrganizationReference) namedLister {
	refs := make([]cloud.OrganizationRef, 0, len(named))
	seen := map[string]bool{}
	for _, n := range named {
		// ARM names are case-insensitive: two spellings of one organization are one Get.
		key := strings.ToLower(n.ResourceGroup + "/" + n.Name)
		if seen[key] {
			continue
		}
		seen[key] = true
		refs = append(refs, cloud.OrganizationRef{Group: n.ResourceGroup, Name: n.Name})
	}
	return namedLister{getter: getter, refs: refs}
}

func (n namedLister) page(ctx context.Context, cursor string) (cloud.Page[cloud.Organization], error) {
	var page cloud.Page[cloud.Organization]
	i := 0
	if cursor != "" {
		var err error
		if i, err = strconv.Atoi(cursor); err != nil || i < 0 || i >= len(n.refs) {
			return page, fmt.Errorf("%w: cursor %q of named organizations", cloud.ErrUnsafe, cursor)
		}
	}
	if len(n.refs) == 0 {
		return page, nil
	}
	org, found, err := n.getter.GetOrganization(ctx, n.refs[i])
	if err != nil {
		return page, err
	}
	if found {
		page.Items = []cloud.Organization{org}
	}
	if i+1 < len(n.refs) {
		page.Next = strconv.Itoa(i + 1)
	}
	return page, nil
}
