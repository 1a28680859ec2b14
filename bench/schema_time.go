package bench

import (
	"reflect"
	"time"
)

type reflectValue = reflect.Value

// timeValue converts a Vobiz timestamp for gorilla/schema; an invalid
// reflect.Value tells schema the conversion failed.
func timeValue(s string) reflect.Value {
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		return reflect.Value{}
	}
	return reflect.ValueOf(t)
}
