# The CUDA backend (src/backends/cuda): placeholder until it lands; NP_CUDA is recorded.
message(STATUS "NeuralPower: CUDA backend not built yet (NP_CUDA=${NP_CUDA})")
