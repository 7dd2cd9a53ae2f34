// Kinesis sources in a topology (issue 18): the "kinesis" source syntax and what it parses to.
// Its bad forms are in the corpus (tests/topologies/bad/kinesis_source.json).
#include <gtest/gtest.h>
#include <stdlib.h>

#include "operators/topology.h"

namespace pinstream {
namespace {

std::shared_ptr<const Topology> ParseOk(const std::string& text) {
  BuildErrors errors;
  auto t = Topology::Parse(text, "t.json", &errors);
  EXPECT_TRUE(errors.errors().empty()) << FormatErrors("t.json", errors);
  return t;
}

TEST(KinesisTopologyTest, SourcesNameTheirEndpointAndRegion) {
  auto t = ParseOk(R"({"name": "k", "broker": "tcp://127.0.0.1:9",
    "sources": {
      "a": {"stream": "s-a", "kinesis": {"endpoint": "http://127.0.0.1:4567/", "region": "eu-west-1"}},
      "b": {"stream": "s-b", "kinesis": {}, "start": "LATEST"},
      "c": {"stream": "s-c"}},
    "pipelines": {"p": {"from": "a", "steps": []}}})");
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->sources.size(), 3u);
  EXPECT_EQ(t->sources[0].kind, Topology::SourceKind::kKinesis);
  EXPECT_EQ(t->sources[0].kinesis.endpoint, "http://127.0.0.1:4567/");
  EXPECT_EQ(t->sources[0].kinesis.region, "eu-west-1");
  // Nothing given: AWS's endpoint and the environment's region, found when the source opens.
  EXPECT_EQ(t->sources[1].kind, Topology::SourceKind::kKinesis);
  EXPECT_EQ(t->sources[1].kinesis.endpoint, "");
  EXPECT_EQ(t->sources[1].kinesis.region, "");
  EXPECT_EQ(t->sources[1].start.type, IteratorType::kLatest);
  // Without "kinesis" a source is on the broker, the topology's by default.
  EXPECT_EQ(t->sources[2].kind, Topology::SourceKind::kBroker);
  EXPECT_EQ(t->sources[2].broker, "tcp://127.0.0.1:9");
}

TEST(KinesisTopologyTest, EndpointFromTheEnvironmentMayBeEmpty) {
  // An unset ${PINSTREAM_KINESIS_ENDPOINT:-} is AWS's endpoint, as the scaled topology needs.
  unsetenv("PINSTREAM_TEST_KINESIS_ENDPOINT");
  auto t = ParseOk(R"({"name": "k",
    "sources": {"a": {"stream": "s", "kinesis": {"endpoint": "${PINSTREAM_TEST_KINESIS_ENDPOINT:-}"}}},
    "pipelines": {"p": {"from": "a", "steps": []}}})");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->sources[0].kinesis.endpoint, "");
  setenv("PINSTREAM_TEST_KINESIS_ENDPOINT", "https://localhost.localstack.cloud:4566", 1);
  t = ParseOk(R"({"name": "k",
    "sources": {"a": {"stream": "s", "kinesis": {"endpoint": "${PINSTREAM_TEST_KINESIS_ENDPOINT:-}"}}},
    "pipelines": {"p": {"from": "a", "steps": []}}})");
  unsetenv("PINSTREAM_TEST_KINESIS_ENDPOINT");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->sources[0].kinesis.endpoint, "https://localhost.localstack.cloud:4566");
}

}  // namespace
}  // namespace pinstream
