// Package all brings in every Substation type: the transforms of package
// transform and of its subpackages (AWS, DNS, jq, Parquet, AWS sends,
// Google Cloud Storage), the kv_store
// types of package kvstore and kvstore/dynamokv, the secret types of
// utility_secret (aws_secrets_manager from transform/awssecrets), and
// s3:// files. The weir
// command and the conformance tests use it.
//
// Importing it links the AWS SDK, the Google Cloud Storage client, the
// DNS, jq and Parquet libraries; a
// program that needs only the local families (object, string, number,
// time, array, hash, meta, utility, format, aggregate) and the conditions
// imports package transform alone and stays small.
package all

import (
	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/enrich"
	"github.com/weirhq/weir/enrich/awsenrich"
	"github.com/weirhq/weir/kvstore"
	"github.com/weirhq/weir/kvstore/dynamokv"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/awssecrets"
	"github.com/weirhq/weir/transform/awstransform"
	"github.com/weirhq/weir/transform/dnstransform"
	"github.com/weirhq/weir/transform/gcptransform"
	"github.com/weirhq/weir/transform/jqtransform"
	"github.com/weirhq/weir/transform/parquettransform"
	"github.com/weirhq/weir/transform/sendtransform"
)

// Transforms returns a new registry holding every Substation transform
// type. Add custom types to it with Register.
func Transforms() *transform.Registry {
	r := transform.Builtins()
	for _, register := range []func(*transform.Registry) error{
		awstransform.Register,
		dnstransform.Register,
		jqtransform.Register,
		parquettransform.Register,
		sendtransform.Register,
		gcptransform.Register,
	} {
		if err := register(r); err != nil {
			panic(err) // two packages register one name: a bug in Weir
		}
	}
	return r
}

// KVStoreTypes returns a new registry holding every Substation kv_store
// type: those of package kvstore and aws_dynamodb.
func KVStoreTypes() *kvstore.Registry {
	r := kvstore.Builtins()
	if err := dynamokv.Register(r); err != nil {
		panic(err) // a bug in Weir
	}
	return r
}

// SecretTypes returns a new registry holding every Substation secret type
// of utility_secret: environment_variable and aws_secrets_manager.
func SecretTypes() *transform.SecretRegistry {
	r := transform.BuiltinSecrets()
	if err := awssecrets.Register(r); err != nil {
		panic(err) // a bug in Weir
	}
	return r
}

// Openers returns the file openers of URL schemes besides http(s): s3.
func Openers() map[string]enrich.Opener {
	return map[string]enrich.Opener{"s3": awsenrich.S3Opener{}}
}

// Env returns an Env that builds every Substation type: [Transforms],
// [KVStoreTypes], [SecretTypes], files from s3:// locations ([Openers]), and one AWS
// configuration, the SDK's default chain (awsenv.Default), shared by every
// AWS client its pipelines build, so that they share credentials and
// assumed-role sessions. Set its other fields (Secrets, Metrics, Logger, an
// AWS of your own, …) before building from it.
func Env() *transform.Env {
	return &transform.Env{
		Transforms:   Transforms(),
		KVStoreTypes: KVStoreTypes(),
		SecretTypes:  SecretTypes(),
		Files:        enrich.Source{Openers: Openers()},
		AWS:          awsenv.Default(),
	}
}
