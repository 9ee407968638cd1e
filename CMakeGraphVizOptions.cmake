# `cmake --graphviz=docs/architecture.dot build`: the libraries, the binary and the outside
# libraries they link; tests and benchmarks left out (docs/architecture.md).
set(GRAPHVIZ_GRAPH_NAME "neuralpower")
set(GRAPHVIZ_GENERATE_PER_TARGET FALSE)
set(GRAPHVIZ_GENERATE_DEPENDERS FALSE)
set(GRAPHVIZ_IGNORE_TARGETS "^np_test_" "^np_bench_" "^GTest::" "^benchmark::" "^gtest"
                            "^gmock" "Threads::Threads" "^dl$" "^rt$" "OpenCL" "^CUDA::culibos$"
                            "^CUDA::cublasLt$" "^absl::" "^protobuf::libprotobuf$" "^onnx_proto$")
