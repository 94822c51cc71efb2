module github.com/mcpsight/mcpsight/sdks/go

go 1.23.0
