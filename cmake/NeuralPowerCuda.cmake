# The CUDA backend (src/backends/cuda): cuDNN/cuBLAS executor and NVML power meter (dlopen).
#
# NP_CUDA (cache, set in the root CMakeLists.txt):
#   AUTO  build it when the CUDA toolkit, nvcc and cuDNN (cudnn.h + libcudnn) are all found
#   ON    build it; a missing piece is a configure error
#   OFF   skip it
# NP_CUDNN_ROOT (cache) or $ENV{CUDNN_ROOT}: where cuDNN lives when it is not inside the
# toolkit (e.g. the nvidia-cudnn-cu13 wheel's site-packages/nvidia/cudnn).
# CMAKE_CUDA_ARCHITECTURES defaults to 90 (Hopper: H100, H200); pass another to override.
#
# Defines the static library np_backend_cuda when enabled; the root links it into np_backends.

set(NP_CUDNN_ROOT "" CACHE PATH "cuDNN install prefix when it is not inside the CUDA toolkit")
set_property(CACHE NP_CUDA PROPERTY STRINGS AUTO ON OFF)
string(TOUPPER "${NP_CUDA}" _np_cuda_mode)
if(NOT _np_cuda_mode MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "NP_CUDA must be AUTO, ON or OFF, got '${NP_CUDA}'")
endif()

if(_np_cuda_mode STREQUAL "OFF")
  message(STATUS "NeuralPower: CUDA backend off (NP_CUDA=OFF)")
  return()
endif()

# Everything the backend needs, each missing piece named for the message.
set(_np_cuda_missing "")
find_package(CUDAToolkit QUIET)
if(NOT CUDAToolkit_FOUND)
  list(APPEND _np_cuda_missing "the CUDA toolkit (find_package(CUDAToolkit))")
endif()
include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)
  list(APPEND _np_cuda_missing "a CUDA compiler (nvcc)")
endif()

set(_np_cudnn_hints ${NP_CUDNN_ROOT} $ENV{CUDNN_ROOT})
if(CUDAToolkit_FOUND)
  list(APPEND _np_cudnn_hints ${CUDAToolkit_LIBRARY_ROOT} ${CUDAToolkit_TARGET_DIR})
endif()
list(APPEND _np_cudnn_hints /usr/local/cuda)
find_path(NP_CUDNN_INCLUDE_DIR cudnn.h
          HINTS ${_np_cudnn_hints} ${CUDAToolkit_INCLUDE_DIRS}
          PATH_SUFFIXES include)
# The pip wheel ships only libcudnn.so.9 (no unversioned link).
find_library(NP_CUDNN_LIBRARY NAMES cudnn libcudnn.so.9
             HINTS ${_np_cudnn_hints} ${CUDAToolkit_LIBRARY_DIR}
             PATH_SUFFIXES lib64 lib lib/x64)
if(NOT NP_CUDNN_INCLUDE_DIR)
  list(APPEND _np_cuda_missing "cudnn.h (set NP_CUDNN_ROOT)")
endif()
if(NOT NP_CUDNN_LIBRARY)
  list(APPEND _np_cuda_missing "libcudnn (set NP_CUDNN_ROOT)")
endif()
if(CUDAToolkit_FOUND AND NOT TARGET CUDA::cublas)
  list(APPEND _np_cuda_missing "cuBLAS")
endif()

if(_np_cuda_missing)
  list(JOIN _np_cuda_missing ", " _np_cuda_missing_text)
  if(_np_cuda_mode STREQUAL "ON")
    message(FATAL_ERROR "NP_CUDA=ON but not found: ${_np_cuda_missing_text}")
  endif()
  message(STATUS "NeuralPower: CUDA backend skipped (NP_CUDA=AUTO), not found: "
                 "${_np_cuda_missing_text}")
  return()
endif()

if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
  set(CMAKE_CUDA_ARCHITECTURES 90)
endif()
if(NP_CCACHE AND NOT CMAKE_CUDA_COMPILER_LAUNCHER)
  set(CMAKE_CUDA_COMPILER_LAUNCHER ${NP_CCACHE})
endif()
enable_language(CUDA)
set(CMAKE_CUDA_STANDARD 17)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)

if(NOT TARGET np_cudnn)
  add_library(np_cudnn SHARED IMPORTED)
  set_target_properties(np_cudnn PROPERTIES IMPORTED_LOCATION "${NP_CUDNN_LIBRARY}"
                                            INTERFACE_INCLUDE_DIRECTORIES "${NP_CUDNN_INCLUDE_DIR}")
endif()

file(GLOB _np_cuda_sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/src/backends/cuda/*.cpp"
     "${CMAKE_CURRENT_SOURCE_DIR}/src/backends/cuda/*.cu")
add_library(np_backend_cuda STATIC ${_np_cuda_sources})
target_include_directories(np_backend_cuda PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/include"
                                           PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/src")
target_link_libraries(np_backend_cuda PUBLIC np_backend_common
                                      PRIVATE CUDA::cudart CUDA::cublas np_cudnn ${CMAKE_DL_LIBS})
# Tests that look inside the backend (tests/gpu) compile those parts only when it is linked.
target_compile_definitions(np_backend_cuda INTERFACE NP_CUDA_BACKEND_LINKED=1)

# The root's add_compile_options are GCC flags that nvcc rejects: keep them for C++ only and
# pass their spirit to the host compiler of .cu files.
get_target_property(_np_cuda_options np_backend_cuda COMPILE_OPTIONS)
if(_np_cuda_options)
  list(TRANSFORM _np_cuda_options REPLACE "^(.+)$" "$<$<COMPILE_LANGUAGE:CXX>:\\1>")
  set_target_properties(np_backend_cuda PROPERTIES COMPILE_OPTIONS "${_np_cuda_options}")
endif()
target_compile_options(
  np_backend_cuda
  PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wno-deprecated-declarations>
          $<$<COMPILE_LANGUAGE:CUDA>:-Wno-deprecated-declarations -Xcompiler=-Wall,-Wextra>)
set_target_properties(np_backend_cuda PROPERTIES POSITION_INDEPENDENT_CODE ON
                                                 CUDA_SEPARABLE_COMPILATION OFF)

message(STATUS "NeuralPower: CUDA backend on (CUDA ${CUDAToolkit_VERSION}, cuDNN "
               "${NP_CUDNN_LIBRARY}, architectures ${CMAKE_CUDA_ARCHITECTURES})")

# tests/gpu looks inside the backend (planning, status mapping, cuDNN descriptors), so its
# program needs the CUDA headers and libraries too. It is defined later (tests/), hence the
# deferred call at the end of the top-level directory.
function(_np_cuda_link_gpu_tests)
  if(TARGET np_test_gpu)
    target_link_libraries(np_test_gpu PRIVATE CUDA::cudart CUDA::cublas np_cudnn)
  endif()
endfunction()
cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _np_cuda_link_gpu_tests)
