package vobizhook

import "net/url"

// urlParseQuery is the standard library's reference parser, kept in one
// place so tests and fuzz targets compare against the same thing.
func urlParseQuery(s string) (url.Values, error) { return url.ParseQuery(s) }
