module github.com/vobizhook/vobizhook/bench

go 1.26.0

require github.com/vobizhook/vobizhook v0.0.0

require (
	github.com/aclements/go-moremath v0.0.0-20210112150236-f10218a38794 // indirect
	golang.org/x/perf v0.0.0-20260908200009-22c9c6c9d4da // indirect
)

require (
	github.com/go-playground/form/v4 v4.2.1 // indirect
	github.com/gorilla/schema v1.4.1
)

replace github.com/vobizhook/vobizhook => ../

tool golang.org/x/perf/cmd/benchstat
