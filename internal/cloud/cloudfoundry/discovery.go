package cloudfoundry

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/orgsync/orgsync/internal/cloud"
)

// rootDoc is the part of the API root (GET /) discovery reads.
type rootDoc struct {
	Links struct {
		CloudControllerV2 *link `json:"cloud_controller_v2"`
		CloudControllerV3 *link `json:"cloud_controller_v3"`
		UAA               *link `json:"uaa"`
	} `json:"links"`
}

type link struct {
	Href string `json:"href"`
}

func (l *link) present() bool { return l != nil && l.Href != "" }

// discover settles the API version and the token endpoint, reading the public
// discovery documents only for what the Config leaves open.
func (c *Client) discover(ctx context.Context) (*session, error) {
	version, tokenURL := c.cfg.APIVersion, c.cfg.TokenURL
	needTokenURL := c.creds.needsTokenURL() && tokenURL == ""
	var root *rootDoc
	if version == "" || needTokenURL {
		var err error
		if root, err = c.readRoot(ctx); err != nil {
			return nil, err
		}
	}
	if version == "" {
		var err error
		if version, err = chooseVersion(root, c.filters); err != nil {
			return nil, err
		}
	}
	if needTokenURL {
		var err error
		if tokenURL, err = c.discoverTokenURL(ctx, root); err != nil {
			return nil, err
		}
	}
	return c.newSession(version, tokenURL)
}

// readRoot reads the API root. Foundations older than the root endpoint answer 404;
// that is not an error here, it means "v2 only" (nil).
func (c *Client) readRoot(ctx context.Context) (*rootDoc, error) {
	u := *c.apiURL
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	var root rootDoc
	err := c.public.GetJSON(ctx, u.String(), &root)
	switch {
	case errors.Is(err, cloud.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read the API root: %w", err)
	}
	return &root, nil
}

// chooseVersion prefers v3. Cloud Foundry is switching /v2 off and v3 is its
// successor, so a current foundation works without configuration; v2 is chosen only
// when v3 is not offered or cannot express the configured query.
func chooseVersion(root *rootDoc, filters []filter) (string, error) {
	if root == nil {
		return V2, nil // no API root: a foundation from before v3
	}
	_, v3Err := v3Names(filters)
	v2, v3 := root.Links.CloudControllerV2.present(), root.Links.CloudControllerV3.present()
	switch {
	case v3 && v3Err == nil:
		return V3, nil
	case v2:
		return V2, nil
	case v3:
		return "", fmt.Errorf("%w: the foundation offers only v3, and %w", cloud.ErrBadRequest, v3Err)
	default:
		return "", fmt.Errorf("%w: the API root links neither cloud_controller_v2 nor cloud_controller_v3; is apiURL a Cloud Controller?", cloud.ErrBadRequest)
	}
}

// discoverTokenURL finds UAA: the API root's links.uaa, else /v2/info's token_endpoint.
func (c *Client) discoverTokenURL(ctx context.Context, root *rootDoc) (string, error) {
	if root != nil && root.Links.UAA.present() {
		return tokenURLFrom(root.Links.UAA.Href, c.apiURL)
	}
	var info struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := c.public.GetJSON(ctx, c.apiURL.JoinPath("v2/info").String(), &info); err != nil {
		return "", fmt.Errorf("discover the token endpoint from /v2/info: %w", err)
	}
	if info.TokenEndpoint == "" {
		return "", fmt.Errorf("%w: the foundation names no token endpoint; set tokenURL", cloud.ErrBadRequest)
	}
	return tokenURLFrom(info.TokenEndpoint, c.apiURL)
}

// tokenURLFrom turns a discovered UAA base URL into its token endpoint. Passwords and
// client secrets go there, and the address came from the network, not from the user:
// plain http is accepted only on the API's own origin or on a loopback address.
func tokenURLFrom(base string, api *url.URL) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%w: the discovered token endpoint is not an absolute http(s) URL", cloud.ErrUnsafe)
	}
	if u.User != nil {
		return "", fmt.Errorf("%w: the discovered token endpoint carries user info", cloud.ErrUnsafe)
	}
	if u.Scheme != "https" && !cloud.SameOrigin(api, u) && !cloud.IsLoopback(u.Hostname()) {
		return "", fmt.Errorf("%w: the discovered token endpoint %s is plain http on another host; set tokenURL to use it anyway",
			cloud.ErrUnsafe, cloud.Redacted(u))
	}
	u = u.JoinPath("oauth/token")
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}
