module github.com/weirhq/weir

go 1.26.8

require (
	github.com/google/uuid v1.6.0
	github.com/itchyny/gojq v0.12.20
	github.com/stretchr/testify v1.12.1
	github.com/tidwall/gjson v1.20.2
	github.com/tidwall/sjson v1.2.9
	go.uber.org/goleak v1.3.0
)

require (
	github.com/itchyny/timefmt-go v0.1.9 // indirect
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.3.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
