package engine

import "testing"

// The unverified-domains notice reads in words: plural right, count grouped as the screens group
// it (the L preview showed "20031 user(s) to create are on domains…").
func TestUnverifiedNoticeInWords(t *testing.T) {
	for n, want := range map[int]string{
		1:       "1 user to create is on a domain the Atlassian organization has not verified: ",
		2:       "2 users to create are on domains the Atlassian organization has not verified: ",
		20031:   "20,031 users to create are on domains the Atlassian organization has not verified: ",
		1234567: "1,234,567 users to create are on domains the Atlassian organization has not verified: ",
	} {
		got := unverifiedNotice(n)
		if len(got) < len(want) || got[:len(want)] != want {
			t.Errorf("notice for %d: %q, want it to start %q", n, got, want)
		}
	}
}
