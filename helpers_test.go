package vobizhook

import (
	"net/url"
	"strconv"
	"time"
)

// urlParseQuery is the standard library's reference parser, kept in one
// place so tests and fuzz targets compare against the same thing.
func urlParseQuery(s string) (url.Values, error) { return url.ParseQuery(s) }

func strconvAtoi(s string) (int, error) { return strconv.Atoi(s) }

func timeParse(s string) (time.Time, error) { return time.Parse(time.DateTime, s) }
