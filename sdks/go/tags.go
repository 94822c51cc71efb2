package mcpsight

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

var tagKeyPattern = regexp.MustCompile(`^[A-Za-z0-9$_.:\- ]+$`)

// validateTags keeps the valid entries of an EventTags result (≤50 entries, keys ≤32 chars of
// [A-Za-z0-9$_.:- ], one-line values ≤200 chars) and says what was dropped.
func validateTags(value map[string]string) (map[string]string, []string) {
	if len(value) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(value))
	for k := range value {
		keys = append(keys, k)
	}
	sort.Strings(keys) // which tags survive the count limit must not depend on map order
	tags := map[string]string{}
	var problems []string
	for _, key := range keys {
		v := value[key]
		switch {
		case key == "" || utf16Len(key) > limitTagKey || !tagKeyPattern.MatchString(key):
			problems = append(problems, fmt.Sprintf("key %q must be 1-%d chars of [A-Za-z0-9$_.:- ]", key, limitTagKey))
		case utf16Len(v) > limitTagValue || strings.ContainsAny(v, "\r\n"):
			problems = append(problems, fmt.Sprintf("value of %q must be one line of at most %d chars", key, limitTagValue))
		case len(tags) >= limitTagCount:
			problems = append(problems, fmt.Sprintf("more than %d tags; %q dropped", limitTagCount, key))
		default:
			tags[key] = v
		}
	}
	if len(tags) == 0 {
		tags = nil
	}
	return tags, problems
}
