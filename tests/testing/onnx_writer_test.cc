// The test-only ONNX writer's protobuf encoding, byte for byte on small cases; that OpenCV reads
// whole models it writes is checked where they are used (tests/embed/onnx_spec_test.cc).
#include "testing/onnx_writer.h"

#include <gtest/gtest.h>

namespace alike::test::onnx {
namespace {

using namespace std::string_literals;

TEST(OnnxWriterTest, EncodesProtobufWireFormat) {
  ProtoWriter w;
  w.Varint(1, 150);  // the protobuf documentation's example: 08 96 01
  EXPECT_EQ(w.bytes(), "\x08\x96\x01"s);

  ProtoWriter neg;  // a negative int64 takes ten bytes
  neg.Varint(2, static_cast<uint64_t>(int64_t{-1}));
  EXPECT_EQ(neg.bytes(), "\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s);

  ProtoWriter s;
  s.Bytes(2, "testing");
  EXPECT_EQ(s.bytes(), "\x12\x07testing"s);

  ProtoWriter outer;  // a message nested as field 3, and a field number above 15 (two-byte key)
  outer.Message(3, w);
  outer.Varint(20, 7);
  EXPECT_EQ(outer.bytes(), "\x1a\x03\x08\x96\x01\xa0\x01\x07"s);

  ProtoWriter f;
  f.PackedFloats(4, {1.0f, -2.0f});
  EXPECT_EQ(f.bytes(), "\x22\x08\x00\x00\x80\x3f\x00\x00\x00\xc0"s);
}

TEST(OnnxWriterTest, ModelStartsWithIrVersionAndHoldsTheGraph) {
  const std::string model = SerializeModel(
      ConvReluGap({.weight = std::vector<float>(4 * 3 * 9), .bias = std::vector<float>(4)}));
  EXPECT_EQ(model.substr(0, 2), "\x08\x07"s);  // ir_version = 7
  for (const char* name : {"Conv", "Relu", "GlobalAveragePool", "kernel_shape", "pads", "gap"}) {
    EXPECT_NE(model.find(name), std::string::npos) << name;
  }
  EXPECT_EQ(model.substr(model.size() - 4), "\x42\x02\x10\x0d"s);  // opset_import { version: 13 }
}

}  // namespace
}  // namespace alike::test::onnx
