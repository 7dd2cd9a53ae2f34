#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/status.h"

namespace pinstream {

// AWS's own checks of a Kinesis JSON request, before any action runs, by the request shapes of
// Kinesis's service model (stream/kinesis_model.json, generated from the model botocore ships by
// tools/gen_kinesis_model.py): first every member's JSON type (a SerializationException in
// AWS's words, e.g. "class java.lang.String can not be converted to an Integer"), then every
// constraint at once, up to ten (a ValidationException: "2 validation errors detected: Value ''
// at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern:
// [a-zA-Z0-9_.-]+; ..."), members in alphabetical order as AWS reports them. Members the model
// does not know are ignored, and null is absent, as AWS does.
//
// OK for an action the model does not have (the caller answers those). Thread-safe.
Status ValidateKinesisRequest(std::string_view action, const nlohmann::json& request);

}  // namespace pinstream
