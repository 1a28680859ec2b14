module github.com/vobizhook/vobizhook

go 1.25.0

require (
	github.com/go-playground/form/v4 v4.2.1
	github.com/stretchr/testify v1.12.1
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
