cmake_minimum_required(VERSION 3.25)
# Fails when a C handle is freed by hand outside the one owner of its kind: every GEOS, PROJ,
# GDAL/OGR/OSR/VSI/CPL, OpenSSL, SQLite, libpq, iconv and stdio handle is released by a
# std::unique_ptr deleter (or a small owning class) in these files only.
set(owners
  geo/spatial/gdal_handles.h geo/spatial/gdal_handles.cpp
  server/openssl_handles.h
  server/store/sqlite/db.h server/store/sqlite/db.cpp server/store/postgres/conn.h
  importers/line_source.h importers/text_encoding.cpp tests/support/iconv_handle.h)
set(frees "(GEOS[A-Za-z]*_destroy_r|GEOSGeom_destroy|GEOSFree_r|GEOS_finish_r|proj_destroy|proj_context_destroy|VSIFCloseL|CPLCloseZip|CPLFree|VSIFree|OGR_F_Destroy|OGR_G_DestroyGeometry|OGR_Fld_Destroy|OGRFeature::DestroyFeature|GDALClose|OSRRelease|OSRDestroySpatialReference|OSRRelease|OCTDestroyCoordinateTransformation|EVP_[A-Z_]*_free|BIO_free|X509_free|EVP_PKEY_free|sqlite3_finalize|sqlite3_close|sqlite3_free|PQclear|PQfinish|iconv_close|std::fclose|[^a-z_]fclose)[ \t]*\\(")
set(failures "")
foreach(dir geo importers server bench tests)
  file(GLOB_RECURSE files "${SOURCE_DIR}/${dir}/*.h" "${SOURCE_DIR}/${dir}/*.cpp")
  foreach(f IN LISTS files)
    file(RELATIVE_PATH rel "${SOURCE_DIR}" "${f}")
    if(rel IN_LIST owners)
      continue()
    endif()
    file(STRINGS "${f}" hits REGEX "${frees}")
    if(hits)
      set(failures "${failures}\n  ${rel}: ${hits}")
    endif()
  endforeach()
endforeach()
if(failures)
  message(FATAL_ERROR "handles freed by hand (use the owners in geo/spatial/gdal_handles.h, "
                      "server/openssl_handles.h, server/store/sqlite/db.h or postgres/conn.h):${failures}")
endif()
message(STATUS "handles ok")
