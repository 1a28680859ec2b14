module github.com/vobizhook/vobizhook/examples/dashboard

go 1.25.0

require (
	github.com/stretchr/testify v1.12.1
	github.com/vobizhook/vobizhook v0.0.0
)

require (
	github.com/go-playground/form/v4 v4.2.1 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)

replace github.com/vobizhook/vobizhook => ../..
