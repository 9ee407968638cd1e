# The libraries in layers, bottom to top (docs/architecture.md). A library links only libraries
# of the layers below its own; the libraries that compute (prediction, training, evaluation,
# reports) link no device library. np_check_layers() fails the configure step otherwise, so
# that a new dependency cannot climb the stack unnoticed.
set(NP_LAYERS
    "np_base"
    "np_io,np_report_html"
    "np_net"
    "np_onnx,np_netjson,np_features,np_model,np_backend_common"
    "np_load,np_records,np_backend_cpu,np_backend_cuda"
    "np_train,np_predict,np_plan,np_backends"
    "np_evaluate,np_profile"
    "np_report")
# Device libraries, and the libraries that must not reach them.
set(NP_DEVICE_LIBRARIES np_backend_cpu np_backend_cuda np_backends DNNL::dnnl)
set(NP_DEVICE_FREE_LIBRARIES np_records np_train np_predict np_evaluate np_plan np_profile
                             np_report)

function(_np_direct_links target out)
  get_target_property(links ${target} LINK_LIBRARIES)
  if(NOT links)
    set(links "")
  endif()
  set(${out} ${links} PARENT_SCOPE)
endfunction()

function(np_check_layers)
  set(rank 0)
  foreach(layer IN LISTS NP_LAYERS)
    string(REPLACE "," ";" names "${layer}")
    foreach(name IN LISTS names)
      set(_rank_${name} ${rank})
    endforeach()
    math(EXPR rank "${rank} + 1")
  endforeach()
  foreach(layer IN LISTS NP_LAYERS)
    string(REPLACE "," ";" names "${layer}")
    foreach(name IN LISTS names)
      if(NOT TARGET ${name})
        continue()  # np_backend_cuda without CUDA
      endif()
      _np_direct_links(${name} links)
      foreach(dep IN LISTS links)
        set(imported FALSE)
        if(TARGET ${dep})
          get_target_property(imported ${dep} IMPORTED)
        endif()
        if(dep MATCHES "^np_" AND NOT imported)
          if(NOT DEFINED _rank_${dep})
            message(FATAL_ERROR "${name} links ${dep}, which is in no layer of NP_LAYERS")
          endif()
          if(NOT _rank_${dep} LESS _rank_${name})
            message(FATAL_ERROR "${name} (layer ${_rank_${name}}) links ${dep} "
                                "(layer ${_rank_${dep}}): a library may link only lower layers")
          endif()
        endif()
      endforeach()
    endforeach()
  endforeach()
  foreach(name IN LISTS NP_DEVICE_FREE_LIBRARIES)
    set(todo ${name})
    set(seen "")
    while(todo)
      list(POP_FRONT todo current)
      if(current IN_LIST seen OR NOT TARGET ${current})
        continue()
      endif()
      list(APPEND seen ${current})
      if(current IN_LIST NP_DEVICE_LIBRARIES)
        message(FATAL_ERROR "${name} reaches the device library ${current}")
      endif()
      get_target_property(imported ${current} IMPORTED)
      if(NOT imported)
        _np_direct_links(${current} links)
        list(APPEND todo ${links})
      endif()
    endwhile()
  endforeach()
endfunction()
