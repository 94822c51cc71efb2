package mcpsight

import "reflect"

// ImplementationOf reads a server's own name and version from field of an MCP library's server
// object, an Implementation struct (or pointer to one) with Name and Version fields. Adapters use
// it to know the server from the start: requests of 2026-07-28 have no initialize whose result
// would name it. It recognises the shape, not a library version; a server of another shape gives
// an empty NameVersion.
func ImplementationOf(server any, field string) (info NameVersion) {
	defer func() {
		if recover() != nil {
			info = NameVersion{}
		}
	}()
	v := reflect.ValueOf(server)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return NameVersion{}
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return NameVersion{}
	}
	impl := v.FieldByName(field)
	for impl.Kind() == reflect.Pointer {
		if impl.IsNil() {
			return NameVersion{}
		}
		impl = impl.Elem()
	}
	if impl.Kind() != reflect.Struct {
		return NameVersion{}
	}
	name, version := impl.FieldByName("Name"), impl.FieldByName("Version")
	if name.Kind() != reflect.String {
		return NameVersion{}
	}
	info.Name = name.String()
	if version.Kind() == reflect.String {
		info.Version = version.String()
	}
	return info
}
