module github.com/vobizhook/vobizhook/examples/dashboard

go 1.26.0

require (
	github.com/chromedp/cdproto v0.159.0
	github.com/chromedp/chromedp v0.23.0
	github.com/stretchr/testify v1.12.1
	github.com/vobizhook/vobizhook v0.0.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)

require (
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/go-playground/form/v4 v4.2.1 // indirect
	github.com/redis/go-redis/v9 v9.23.0
	github.com/vobizhook/vobizhook/redisstore v0.0.0
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)

replace github.com/vobizhook/vobizhook => ../..

replace github.com/vobizhook/vobizhook/redisstore => ../../redisstore
