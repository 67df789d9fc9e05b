-- Migration 15: kernels carry the architecture their file declares (issue 30): x86_64, arm64, or
-- NULL when it declares none this service knows. Runmode links of an architecture other than
-- x86-64 are named by its folder, as on disk: runmode_links.link is prod.efi (x86-64, as before)
-- or arm64/prod.efi.
ALTER TABLE kernels ADD COLUMN architecture TEXT;
